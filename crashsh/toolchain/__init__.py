"""What crash borrows from its toolchain, emulated: ELF and DWARF line tables (BFD), gdb's type
and value printing, x86-64 instruction decoding, and crash's own symbol table over them.
Nothing here knows a kernel data structure; crashsh.kernel builds on it."""
