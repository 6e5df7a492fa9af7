# lib/lpc: the LPC language (values, preprocessor+lexer, parser, compiler,
# VM, object model, core efuns).  Free of driver headers: the driver's
# efuns (connections, files, timers) live in src/ and register themselves.
noinst_LIBRARIES += lib/lpc/liblpc.a

# values, strings, arrays, mappings
LPC_VALUE_SOURCES = \
	lib/lpc/lpc_value.h \
	lib/lpc/lpc_value.c \
	lib/lpc/lpc_string.c \
	lib/lpc/lpc_array.c \
	lib/lpc/lpc_mapping.c

# preprocessor and lexer
LPC_LEX_SOURCES = \
	lib/lpc/lpc_lex.h lib/lpc/lpc_lex.c \
	lib/lpc/lpc_preproc.h lib/lpc/lpc_preproc.c

# parser, compiler, VM, objects, core efuns
LPC_VM_SOURCES = \
	lib/lpc/lpc_ast.h lib/lpc/lpc_ast.c \
	lib/lpc/lpc_parse.h lib/lpc/lpc_parse.c \
	lib/lpc/lpc_compile.h lib/lpc/lpc_compile.c \
	lib/lpc/lpc_opcodes.h \
	lib/lpc/lpc_program.h lib/lpc/lpc_program.c \
	lib/lpc/lpc_vm.h lib/lpc/lpc_vm.c \
	lib/lpc/lpc_object.h lib/lpc/lpc_object.c \
	lib/lpc/lpc_funcptr.h lib/lpc/lpc_funcptr.c \
	lib/lpc/lpc_efun.h lib/lpc/lpc_efun.c lib/lpc/lpc_efun_core.c \
	lib/lpc/lpc_runtime.h lib/lpc/lpc_runtime.c

# the standard efun set (strings, containers, types, misc)
LPC_EFUN_SOURCES = \
	lib/lpc/lpc_efun_std.h \
	lib/lpc/lpc_efun_string.c \
	lib/lpc/lpc_sprintf.h lib/lpc/lpc_sprintf.c \
	lib/lpc/lpc_sscanf.c \
	lib/lpc/lpc_efun_container.c \
	lib/lpc/lpc_efun_type.c \
	lib/lpc/lpc_efun_misc.c

lib_lpc_liblpc_a_SOURCES = $(LPC_VALUE_SOURCES) $(LPC_LEX_SOURCES) $(LPC_VM_SOURCES) \
	$(LPC_EFUN_SOURCES)
