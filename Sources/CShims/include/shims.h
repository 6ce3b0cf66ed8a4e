// Umbrella for Portcullis' C shims: OpenSSL 3 macros turned into real functions,
// because the Swift importer cannot call function-like macros.
#ifndef PORTCULLIS_SHIMS_H
#define PORTCULLIS_SHIMS_H
#include "tls_shims.h"
#include "tls_client_shims.h"
#include "ts_shims.h"
#endif
