#include "textflag.h"

// func ReadOnce(b []byte)
TEXT ·ReadOnce(SB), NOSPLIT|NOFRAME, $0-24
	MOVQ b_base+0(FP), AX
	MOVQ b_len+8(FP), CX
	TESTQ CX, CX
	JZ   done
	// One prefetch per 64-byte line that b touches.
	LEAQ 63(AX)(CX*1), CX
	ANDQ $~63, AX
	SUBQ AX, CX
	SHRQ $6, CX

loop:
	PREFETCHNTA (AX)
	ADDQ $64, AX
	DECQ CX
	JNZ  loop

done:
	RET

// func Keep(b []byte)
TEXT ·Keep(SB), NOSPLIT|NOFRAME, $0-24
	MOVQ b_base+0(FP), AX
	MOVQ b_len+8(FP), CX
	TESTQ CX, CX
	JZ   keepdone
	LEAQ 63(AX)(CX*1), CX
	ANDQ $~63, AX
	SUBQ AX, CX
	SHRQ $6, CX

keeploop:
	PREFETCHT0 (AX)
	ADDQ $64, AX
	DECQ CX
	JNZ  keeploop

keepdone:
	RET
