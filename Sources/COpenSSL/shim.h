// Umbrella for the parts of the system's OpenSSL 3 that Portcullis uses.
// Found through pkg-config (libssl-dev); no absolute paths, so a FIPS-enabled
// OpenSSL on the operator's machine is the one that is linked.
#ifndef PORTCULLIS_COPENSSL_SHIM_H
#define PORTCULLIS_COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#endif
