// Package prefetch asks the CPU to start loading memory that the program
// will read soon, so that the wait for it overlaps other work. It is a
// hint: it never faults, never changes memory, and does nothing on
// architectures without the instruction.
package prefetch
