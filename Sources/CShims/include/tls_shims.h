#ifndef PORTCULLIS_TLS_SHIMS_H
#define PORTCULLIS_TLS_SHIMS_H
#include <openssl/ssl.h>

/// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl in OpenSSL 3.
int portcullis_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
/// SSL_CTX_set_max_proto_version is a macro over SSL_CTX_ctrl in OpenSSL 3.
int portcullis_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);
/// SSL_CTX_set_session_cache_mode is a macro over SSL_CTX_ctrl in OpenSSL 3.
long portcullis_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode);
/// SSL_CTX_set_mode is a macro over SSL_CTX_ctrl in OpenSSL 3.
long portcullis_SSL_CTX_set_mode(SSL_CTX *ctx, long mode);
/// Installs an ALPN callback that selects "http/1.1" and refuses a client offering only other protocols.
/// A C function because OpenSSL calls it back with C types; doing it in Swift would need a context box.
void portcullis_SSL_CTX_select_http11_alpn(SSL_CTX *ctx);
/// XN_FLAG_RFC2253 is built from several macros the importer cannot evaluate. Non-ASCII is kept as
/// UTF-8 (ESC_MSB cleared) so subjects print the way operators typed them.
unsigned long portcullis_name_flags_rfc2253_utf8(void);
/// Sets Portcullis' server options. In OpenSSL 3 the SSL_OP_* constants are SSL_OP_BIT(n) macros,
/// which the importer cannot evaluate, so the set is chosen here (see tls_shims.c for each reason).
void portcullis_SSL_CTX_set_server_options(SSL_CTX *ctx);
#endif
