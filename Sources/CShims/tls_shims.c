#include "tls_shims.h"

int portcullis_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

int portcullis_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}

long portcullis_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

long portcullis_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

// Wire format of the one protocol we speak: a length byte then the name.
static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// A client that offers ALPN but not http/1.1 (h2 only, say) cannot talk to us; RFC 7301 says to
// answer with a fatal no_application_protocol alert rather than let it guess.
static int select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                         const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    (void)arg;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, http11, sizeof(http11), in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

void portcullis_SSL_CTX_select_http11_alpn(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, select_http11, NULL);
}

unsigned long portcullis_name_flags_rfc2253_utf8(void) {
    return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
}

void portcullis_SSL_CTX_set_server_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx,
        SSL_OP_NO_RENEGOTIATION            // renegotiation is a DoS lever and has no use here
        | SSL_OP_NO_COMPRESSION            // CRIME
        | SSL_OP_CIPHER_SERVER_PREFERENCE  // our AEAD order, not the client's
        | SSL_OP_NO_TICKET                 // no ticket key to leak or rotate; see TLSContext
        | SSL_OP_IGNORE_UNEXPECTED_EOF);   // HTTP framing is explicit; a missing close_notify is just a close
}
