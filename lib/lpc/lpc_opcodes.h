/*
 * lpc_opcodes.h - the bytecode.
 *
 * Code is an array of 32-bit words.  An instruction is one word, opcode
 * in the low 8 bits and operand A in the high 24 bits (unsigned; "sA"
 * means A sign-extended from 24 bits), followed by `extra` operand
 * words for the few instructions that need more.  Jump targets are
 * absolute word offsets into the program's code.
 *
 * Stack effects are written [before] -> [after], top of stack last.
 * "lv" is an LPC_T_LVALUE reference to a variable slot.
 *
 * X(NAME, extra_words, "description")
 */
#ifndef LPC_OPCODES_H
#define LPC_OPCODES_H

#define LPC_OPCODE_LIST(X) \
    X(NOP,            0, "") \
    X(PUSH_INT,       0, "[] -> [sA]") \
    X(PUSH_CONST,     0, "[] -> [consts[A]]") \
    X(PUSH_UNDEF,     0, "[] -> [undefined 0]") \
    X(POP,            0, "[x] -> []") \
    X(DUP,            0, "[x] -> [x x]") \
    X(DUP2,           0, "[x y] -> [x y x y]") \
    X(ROT3,           0, "[x y z] -> [y z x]") \
    X(LOCAL,          0, "[] -> [local A]") \
    X(SET_LOCAL,      0, "[v] -> [v], local A = v") \
    X(SET_LOCAL_POP,  0, "[v] -> [], local A = v") \
    X(CLEAR_LOCAL,    0, "local A = 0") \
    X(GLOBAL,         0, "[] -> [global A]") \
    X(SET_GLOBAL,     0, "[v] -> [v], global A = v") \
    X(SET_GLOBAL_POP, 0, "[v] -> [], global A = v") \
    X(LV_LOCAL,       0, "[] -> [lv(local A)]") \
    X(LV_GLOBAL,      0, "[] -> [lv(global A)]") \
    X(INCDEC_LOCAL,   0, "A = slot | mode << 16 (LPC_INCDEC_*)") \
    X(INCDEC_GLOBAL,  0, "A = slot | mode << 16") \
    X(INCDEC_INDEX,   0, "[c i] -> [result], A = mode") \
    X(ADD,            0, "[a b] -> [a+b]") \
    X(SUB,            0, "") X(MUL, 0, "") X(DIV, 0, "") X(MOD, 0, "") \
    X(BAND,           0, "") X(BOR, 0, "") X(BXOR, 0, "") \
    X(SHL,            0, "") X(SHR, 0, "") \
    X(EQ,             0, "") X(NE, 0, "") X(LT, 0, "") X(LE, 0, "") \
    X(GT,             0, "") X(GE, 0, "") \
    X(NEG,            0, "[a] -> [-a]") \
    X(NOT,            0, "[a] -> [!a]") \
    X(COMPL,          0, "[a] -> [~a]") \
    X(ADD_IMM,        0, "[a] -> [a + sA]") \
    X(SUB_IMM,        0, "[a] -> [a - sA]") \
    X(JUMP,           0, "pc = A") \
    X(JZ,             0, "[c] -> [], if !c pc = A") \
    X(JNZ,            0, "[c] -> [], if c pc = A") \
    X(JZ_KEEP,        0, "&&: if !top pc = A (keep) else pop") \
    X(JNZ_KEEP,       0, "||: if top pc = A (keep) else pop") \
    X(LOOP_JNZ,       0, "[c] -> [], if c { charge; pc = A }") \
    X(LOOP_JUMP,      0, "charge; pc = A (a loop's back edge)") \
    X(CJ_EQ,          0, "[a b] -> [], pc = A unless a == b") \
    X(CJ_NE,          0, "[a b] -> [], pc = A unless a != b") \
    X(CJ_LT,          0, "[a b] -> [], pc = A unless a < b") \
    X(CJ_LE,          0, "[a b] -> [], pc = A unless a <= b") \
    X(CJ_GT,          0, "[a b] -> [], pc = A unless a > b") \
    X(CJ_GE,          0, "[a b] -> [], pc = A unless a >= b") \
    X(LOOP_EQ,        0, "[a b] -> [], if a == b { charge; pc = A }") \
    X(LOOP_NE,        0, "[a b] -> [], if a != b { charge; pc = A }") \
    X(LOOP_LT,        0, "[a b] -> [], if a < b { charge; pc = A }") \
    X(LOOP_LE,        0, "[a b] -> [], if a <= b { charge; pc = A }") \
    X(LOOP_GT,        0, "[a b] -> [], if a > b { charge; pc = A }") \
    X(LOOP_GE,        0, "[a b] -> [], if a >= b { charge; pc = A }") \
    X(INDEX,          0, "[c i] -> [c[i]]") \
    X(RINDEX,         0, "[c i] -> [c[<i]]") \
    X(RANGE,          0, "[c lo hi] -> [c[lo..hi]], A = LPC_RANGE_* flags") \
    X(INDEX_ASSIGN,   0, "[c i v] -> [v], c[i] = v (c may be lv)") \
    X(RINDEX_ASSIGN,  0, "[c i v] -> [v], c[<i] = v") \
    X(AGGREGATE,      0, "[v1..vA] -> [({ v1..vA })]") \
    X(MAP_AGGREGATE,  0, "[k1 v1..kA vA] -> [([ ... ])]") \
    X(CALL,           0, "[args] -> [ret], A = index | nargs << 16") \
    X(CALL_SUPER,     1, "A = inherit, word1 = index | nargs << 16") \
    X(CALL_INIT,      0, "run inherit A's variable initialisers") \
    X(CALL_EFUN,      0, "[args] -> [ret], A = efun | nargs << 16") \
    X(CALL_EFUN_LV,   1, "efun with lvalue args, word1 = nlv: [args] -> [ret lv-results...]") \
    X(CALL_SIMUL,     2, "A = name const, word1 = nargs, word2 = call site") \
    X(CALL_OTHER,     2, "[ob args] -> [ret], A = name const, word1 = nargs, word2 = call site") \
    X(RETURN,         0, "[v] -> return v") \
    X(RETURN_ZERO,    0, "return 0") \
    X(CATCH,          0, "catch(expr): A = end; the body follows and ends with END_CATCH") \
    X(END_CATCH,      0, "[v] -> [] ends the catch body (result 0)") \
    X(SWITCH,         0, "[v] -> [], jump through switches[A]") \
    X(FOREACH_INIT,   0, "[coll] -> [], hidden locals A, A+1, A+2") \
    X(FOREACH_NEXT,   3, "A = hidden base; word1 = var1, word2 = var2, word3 = exit") \
    X(MAKE_FP_LOCAL,  0, "[bound...] -> [fp], A = index | nbound << 16") \
    X(MAKE_FP_EFUN,   0, "[bound...] -> [fp], A = efun | nbound << 16") \
    X(MAKE_CLOSURE,   0, "[captures...] -> [fp], A = def index") \
    X(THIS_OBJECT,    0, "[] -> [this_object()]") \
    X(SKIP_IF_UNSET,  0, "[v] -> [v] or [] and pc = A when v is an unset lvalue marker") \
    X(CAST,           0, "[v] -> [(type A)v]") \
    X(SIZEOF,         0, "[v] -> [sizeof(v)]")

typedef enum lpc_opcode {
#define LPC_OPCODE_ENUM(name, extra, desc) LPC_OP_##name,
    LPC_OPCODE_LIST(LPC_OPCODE_ENUM)
#undef LPC_OPCODE_ENUM
    LPC_OP_COUNT
} lpc_opcode_t;

#define LPC_INS(op, a)   ((uint32_t)(op) | ((uint32_t)(a) << 8))
#define LPC_INS_OP(w)    ((w) & 0xffu)
#define LPC_INS_A(w)     ((w) >> 8)
#define LPC_INS_SA(w)    ((int32_t)(w) >> 8)     /* sign-extended */
#define LPC_IMM_MIN      (-(1 << 23))
#define LPC_IMM_MAX      ((1 << 23) - 1)

/* INCDEC modes. */
#define LPC_INCDEC_DEC     0x1   /* -- instead of ++ */
#define LPC_INCDEC_POST    0x2   /* result is the old value */
#define LPC_INCDEC_DISCARD 0x4   /* push nothing */
#define LPC_INCDEC_REVERSE 0x8   /* INCDEC_INDEX: c[<i] */

/* RANGE flags. */
#define LPC_RANGE_LO_REV   0x1   /* lo counts from the end */
#define LPC_RANGE_HI_REV   0x2
#define LPC_RANGE_NO_HI    0x4   /* a[lo..]: hi not on the stack */

/* FOREACH variable words: kind << 24 | slot. */
#define LPC_FE_NONE   0u
#define LPC_FE_LOCAL  1u
#define LPC_FE_GLOBAL 2u

/* Name of an opcode ("ADD"), for the disassembler. */
const char *lpc_opcode_name(int op);
int lpc_opcode_extra(int op);

#endif /* LPC_OPCODES_H */
