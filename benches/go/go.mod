module goro.bench

// Go 1.27's own defaults (GODEBUG settings such as containermaxprocs and
// multipathtcp follow this line, not the toolchain). Go 1.19, the optional
// second Go of benches/compare.sh, builds this module all the same: before
// Go 1.21 a newer go line is only mentioned if compilation fails.
go 1.27
