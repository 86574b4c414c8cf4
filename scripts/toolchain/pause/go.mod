module replicated-mysql/toolchain/pause

go 1.26
