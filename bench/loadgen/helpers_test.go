package loadgen

import "bytes"

type bytesBuffer = bytes.Buffer
