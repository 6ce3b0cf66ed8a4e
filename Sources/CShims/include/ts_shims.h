#ifndef PORTCULLIS_TS_SHIMS_H
#define PORTCULLIS_TS_SHIMS_H

/// TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA: the TS_VFY_* flags are `(1u << n)` macros the Swift importer
/// does not evaluate. Signature, version and message imprint over the data; no nonce (sigstore TSAs need none)
/// and no TSA name (the trusted root pins the chain instead).
int portcullis_ts_verify_flags(void);
#endif
