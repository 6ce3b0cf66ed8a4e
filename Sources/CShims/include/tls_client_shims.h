#ifndef PORTCULLIS_TLS_CLIENT_SHIMS_H
#define PORTCULLIS_TLS_CLIENT_SHIMS_H
#include <openssl/ssl.h>

/// SSL_set_tlsext_host_name (SNI) is a macro over SSL_ctrl in OpenSSL 3.
long portcullis_SSL_set_tlsext_host_name(SSL *ssl, const char *name);
#endif
