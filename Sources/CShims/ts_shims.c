#include "ts_shims.h"
#include <openssl/ts.h>

int portcullis_ts_verify_flags(void) { return (int)(TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA); }
