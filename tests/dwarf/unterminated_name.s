# A program whose DWARF ends in a function name without its NUL: the last attribute of the
# last DIE is a DW_FORM_string "f" that runs to the end of .debug_info (found by fuzz_elf_dwarf:
# libdw hands such a string out unchecked). Built by tests/unit/symbolizer/test_dwarf.c.
	.text
	.globl	_start
_start:
f:
	nop
	nop
	ud2
f_end:

	.section .debug_abbrev,"",@progbits
	.uleb128 1		# compile unit, with children
	.uleb128 0x11
	.byte	1
	.uleb128 0x11		# DW_AT_low_pc, DW_FORM_addr
	.uleb128 0x01
	.uleb128 0x12		# DW_AT_high_pc, DW_FORM_data8
	.uleb128 0x07
	.byte	0, 0
	.uleb128 2		# subprogram, no children
	.uleb128 0x2e
	.byte	0
	.uleb128 0x11		# DW_AT_low_pc, DW_FORM_addr
	.uleb128 0x01
	.uleb128 0x12		# DW_AT_high_pc, DW_FORM_data8
	.uleb128 0x07
	.uleb128 0x03		# DW_AT_name, DW_FORM_string
	.uleb128 0x08
	.byte	0, 0
	.byte	0

	.section .debug_info,"",@progbits
	.long	info_end - info_start
info_start:
	.value	4		# DWARF 4
	.long	0		# abbreviations at the start of .debug_abbrev
	.byte	8
	.uleb128 1
	.quad	f
	.quad	f_end - f
	.uleb128 2
	.quad	f
	.quad	f_end - f
	.ascii	"f"		# no NUL, and no end of children: the unit ends here
info_end:
