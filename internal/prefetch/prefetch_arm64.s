#include "textflag.h"

// func ReadOnce(b []byte)
TEXT ·ReadOnce(SB), NOSPLIT|NOFRAME, $0-24
	MOVD b_base+0(FP), R0
	MOVD b_len+8(FP), R1
	CBZ  R1, done
	// One prefetch per 64-byte line that b touches.
	ADD  R0, R1, R1
	ADD  $63, R1, R1
	AND  $~63, R0, R0
	SUB  R0, R1, R1
	LSR  $6, R1, R1

loop:
	PRFM (R0), PLDL1STRM
	ADD  $64, R0, R0
	SUBS $1, R1, R1
	BNE  loop

done:
	RET

// func Keep(b []byte)
TEXT ·Keep(SB), NOSPLIT|NOFRAME, $0-24
	MOVD b_base+0(FP), R0
	MOVD b_len+8(FP), R1
	CBZ  R1, keepdone
	ADD  R0, R1, R1
	ADD  $63, R1, R1
	AND  $~63, R0, R0
	SUB  R0, R1, R1
	LSR  $6, R1, R1

keeploop:
	PRFM (R0), PLDL1KEEP
	ADD  $64, R0, R0
	SUBS $1, R1, R1
	BNE  keeploop

keepdone:
	RET
