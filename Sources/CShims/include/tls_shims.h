#ifndef PORTCULLIS_TLS_SHIMS_H
#define PORTCULLIS_TLS_SHIMS_H
#include <openssl/ssl.h>

/// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl in OpenSSL 3.
int portcullis_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
/// SSL_CTX_set_max_proto_version is a macro over SSL_CTX_ctrl in OpenSSL 3.
int portcullis_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);
#endif
