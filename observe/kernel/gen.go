package kernel

// The BPF objects are generated and committed, so that building teardown
// needs no clang. To regenerate after changing bpf/kernel.bpf.c (needs clang,
// llvm and the kernel and libbpf headers: apt-get install clang llvm
// libbpf-dev linux-libc-dev):
//
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -tags linux -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type event -type owner bpf bpf/kernel.bpf.c -- -I/usr/include/x86_64-linux-gnu
