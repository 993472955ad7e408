package capture

// MaxPorts is the most ports Capture.OnlyPorts filters on: more keep
// every TCP segment. Each is two instructions of the kernel's filter,
// whose jumps reach 255 instructions at most.
const MaxPorts = 100
