"""whatis: gdb-style type text (built from drgn types) and crash's output on the fixture dumps."""

from __future__ import annotations

import drgn
import pytest
from drgn import Qualifiers, TypeEnumerator, TypeMember, TypeParameter

from crashsh.toolchain.gdbtypes import declaration, member_offset, ptype_text, type_name

# -- pure logic: types built with drgn's constructors ------------------------------------
prog = drgn.Program(drgn.host_platform)
INT = prog.int_type("int", 4, True)
CHAR = prog.int_type("char", 1, True)
ULONG = prog.int_type("unsigned long", 8, False)
VOID = prog.void_type()
LIST_HEAD_P = prog.pointer_type(prog.struct_type("list_head"))  # to the incomplete type
LIST_HEAD = prog.struct_type(
    "list_head", 16, (TypeMember(LIST_HEAD_P, "next", 0), TypeMember(LIST_HEAD_P, "prev", 64))
)
HANDLER = prog.function_type(VOID, (TypeParameter(LIST_HEAD_P), TypeParameter(INT)))
PAIR = prog.struct_type(None, 8, (TypeMember(INT, "a", 0), TypeMember(INT, "b", 32)))
DATA_OR_PAIR = prog.union_type(
    None, 8, (TypeMember(prog.pointer_type(VOID), "data", 0), TypeMember(PAIR, None, 0))
)
NODE = prog.struct_type(
    "node",
    32,
    (
        TypeMember(ULONG, "flags", 0),
        TypeMember(DATA_OR_PAIR, None, 64),
        TypeMember(prog.pointer_type(HANDLER), "handler", 128),
        TypeMember(prog.array_type(CHAR, 4), "tag", 192),
        TypeMember(drgn.Object(prog, INT, bit_field_size=3), "bits", 224),
        TypeMember(drgn.Object(prog, INT, bit_field_size=5), "more", 227),
    ),
)
COUNTER = prog.typedef_type("atomic_t", prog.struct_type(None, 4, (TypeMember(INT, "counter", 0),)))
COLOUR = prog.enum_type(
    "colour",
    prog.int_type("unsigned int", 4, False),
    (TypeEnumerator("RED", 0), TypeEnumerator("GREEN", 1), TypeEnumerator("BLUE", 4)),
)
CONST_CHAR_P = prog.pointer_type(CHAR.qualified(Qualifiers.CONST))


@pytest.mark.parametrize(
    "type, text",
    [
        (INT, "int counter;"),
        (prog.pointer_type(CHAR), "char *counter;"),
        (prog.pointer_type(CHAR, qualifiers=Qualifiers.CONST), "char * const counter;"),
        (prog.array_type(LIST_HEAD_P, 4), "struct list_head *counter[4];"),
        (prog.array_type(CHAR, None), "char counter[];"),
        (prog.array_type(prog.array_type(INT, 14), 4), "int counter[4][14];"),
        (prog.function_type(VOID, ()), "void counter(void);"),
        (prog.function_type(INT, (TypeParameter(CONST_CHAR_P),), True),
         "int counter(const char *, ...);"),
        (prog.pointer_type(prog.function_type(INT, (TypeParameter(INT),))), "int (*counter)(int);"),
        (prog.array_type(prog.pointer_type(HANDLER), 2),
         "void (*counter[2])(struct list_head *, int);"),
        # crash inserts the name at the first ')' when there are several '(' (its own quirk)
        (prog.function_type(VOID, (TypeParameter(prog.pointer_type(HANDLER)),)),
         "void (void (*counter)(struct list_head *, int));"),
        (COUNTER, "atomic_t counter;"),
        (prog.struct_type(None, 4, (TypeMember(INT, "x", 0),)), "struct {...} counter;"),
    ],
)
def test_declaration(type, text):
    assert declaration("counter", type) == text


def test_type_name_levels():
    anonymous = prog.struct_type(None, 4, (TypeMember(INT, "x", 0),))
    assert type_name(anonymous) == "struct {...}"
    assert type_name(anonymous, show=0) == "struct {\n    int x;\n}"
    assert type_name(prog.pointer_type(HANDLER)) == "void (*)(struct list_head *, int)"
    assert type_name(prog.function_type(INT, (), True)) == "int ()"  # unprototyped


def test_ptype_named_struct():
    assert ptype_text(LIST_HEAD) == (
        "struct list_head {\n    struct list_head *next;\n    struct list_head *prev;\n}\n"
    )


def test_ptype_struct_expands_anonymous_members():
    assert ptype_text(NODE) == (
        "struct node {\n"
        "    unsigned long flags;\n"
        "    union {\n"
        "        void *data;\n"
        "        struct {\n"
        "            int a;\n"
        "            int b;\n"
        "        };\n"
        "    };\n"
        "    void (*handler)(struct list_head *, int);\n"
        "    char tag[4];\n"
        "    int bits : 3;\n"
        "    int more : 5;\n"
        "}\n"
    )


def test_ptype_offsets():
    assert ptype_text(NODE, offsets=True) == (
        "struct node {\n"
        "   [0] unsigned long flags;\n"
        "       union {\n"
        "   [8]     void *data;\n"
        "           struct {\n"
        "   [8]         int a;\n"
        "  [12]         int b;\n"
        "           };\n"
        "       };\n"
        "  [16] void (*handler)(struct list_head *, int);\n"
        "  [24] char tag[4];\n"
        "  [28] int bits : 3;\n"
        "  [28] int more : 5;\n"
        "}\n"
    )


def test_ptype_member():
    assert ptype_text(NODE, member="b") == "struct node {\n  [12]         int b;\n}\n"
    assert member_offset(NODE, "b") == 12
    assert member_offset(NODE, "nosuch") is None


def test_ptype_typedef_and_enum():
    assert ptype_text(COUNTER) == "typedef struct {\n    int counter;\n} atomic_t;\n"
    assert ptype_text(prog.typedef_type("u32", INT)) == "typedef int u32;\n"
    assert ptype_text(INT) == ""
    assert ptype_text(COLOUR) == "enum colour {\n  RED = 0\n  GREEN = 1\n  BLUE = 4\n};\n"
    assert type_name(COLOUR, show=1) == "enum colour {RED, GREEN, BLUE = 4}"


def test_typedef_of_function_pointer():
    work_func = prog.typedef_type("work_func_t", prog.pointer_type(HANDLER))
    assert ptype_text(work_func) == "typedef void (*)(struct list_head *, int) work_func_t;\n"


# -- the real dumps -------------------------------------------------------------------------
SAME_ON_BOTH = {
    "whatis list_head": "struct list_head {\n    struct list_head *next;\n"
    "    struct list_head *prev;\n}\nSIZE: 16\n",
    "whatis -o list_head": "struct list_head {\n   [0] struct list_head *next;\n"
    "   [8] struct list_head *prev;\n}\nSIZE: 16\n",
    "whatis atomic_t": "typedef struct {\n    int counter;\n} atomic_t;\nSIZE: 4\n",
    "whatis jiffies_64": "u64 jiffies_64;\n",
    "whatis jiffies": "volatile unsigned long jiffies;\n",
    "whatis schedule": "void schedule(void);\n",
    "whatis strcpy": "char *strcpy(char *, const char *);\n",
    "whatis _printk": "int _printk(const char *, ...);\n",
    "whatis init_task": "struct task_struct init_task;\n",
    "whatis pid_type": "enum pid_type {\n  PIDTYPE_PID = 0\n  PIDTYPE_TGID = 1\n"
    "  PIDTYPE_PGID = 2\n  PIDTYPE_SID = 3\n  PIDTYPE_MAX = 4\n};\n",
    "whatis PIDTYPE_MAX": "enum pid_type = 4\n",
    "whatis u32": "typedef unsigned int u32;\nSIZE: 4\n",
    "whatis int": "SIZE: 4\n",
    "whatis bool": "_Bool\n",
    "whatis list_head.prev": "struct list_head {\n   [8] struct list_head *prev;\n}\n",
    "whatis work_func_t": "typedef void (*)(struct work_struct *) work_func_t;\nSIZE: 8\n",
    "whatis startup_64": "<text variable, no debug info> startup_64;\n",
    "whatis nosuchthing": 'whatis: cannot resolve: nosuchthing\nUsage:\n'
    "  whatis [[-o] [struct | union | typedef | symbol]] | \n"
    "         [[-r [size|range]] [-m member]]\n"
    'Enter "help whatis" for details.\n',
}


@pytest.mark.vmcore
@pytest.mark.parametrize("line", sorted(SAME_ON_BOTH))
def test_whatis_on_dump(crashsh, line):
    assert crashsh.run(line) == SAME_ON_BOTH[line]


@pytest.mark.vmcore
def test_whatis_sizes_and_members(crashsh):
    """whatis -r/-m: the kernel's named types by size, or holding a member of a type."""
    prog = crashsh.session.prog
    size = drgn.sizeof(prog.type("struct list_head"))
    rows = crashsh.run(f"whatis -r {size}").splitlines()
    assert rows[0] == "SIZE  TYPE" and f"  {size}  list_head" in rows
    assert all(int(row.split()[0]) == size for row in rows[1:])
    task = prog.type("struct task_struct")
    wide = crashsh.run(f"whatis -r {drgn.sizeof(task)}-{drgn.sizeof(task)}").splitlines()
    assert f"{drgn.sizeof(task)}  task_struct" in wide
    members = crashsh.run("whatis -m list_head").splitlines()
    assert f"{drgn.sizeof(task):>{len(members[0]) - 6}}  task_struct" in members
    assert crashsh.run("whatis -m no_such_type_name_xyz") == "(none found)\n"
