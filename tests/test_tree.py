"""tree: rbtree, XArray and maple tree walks checked against drgn's helpers on the fixture
dumps, and the maple entry text."""

from __future__ import annotations

from crashsh.commands.tree import c_pointer, entry_text


def test_maple_entry_text():
    assert entry_text(0, 10) == "0"
    assert entry_text(0xFFFF888000001000, 16) == "0xffff888000001000"
    assert entry_text(7, 10) == "value 3 [0x7]"
    assert entry_text(0x102, 10) == "zero (64)"
    assert entry_text(0x12, 10) == "UNKNOWN ENTRY (0x12)"
    assert c_pointer(0) == "(nil)" and c_pointer(16) == "0x10"


def addresses(text: str, base: int = 16) -> list[int]:
    return [int(line, base) for line in text.splitlines() if not line.startswith(" ")]


def test_rbtree_in_order_matches_drgn(kernel, crashsh):
    from drgn.helpers.linux.rbtree import rbtree_inorder_for_each_entry

    prog = crashsh.session.prog
    out = crashsh.run("tree -l -o vmap_area.rb_node free_vmap_area_root")
    expected = [va.value_() for va in rbtree_inorder_for_each_entry(
        "struct vmap_area", prog["free_vmap_area_root"].address_of_(), "rb_node")]
    assert addresses(out) == expected
    assert sorted(addresses(crashsh.run("tree -o vmap_area.rb_node free_vmap_area_root"))) \
        == sorted(expected)


def test_maple_tree_matches_drgn(kernel, crashsh):
    from drgn.helpers.linux.mapletree import mt_for_each
    from drgn.helpers.linux.pid import find_task

    prog = crashsh.session.prog
    mm = find_task(prog, kernel.manifest["threads_proc"]["pid"]).mm
    out = crashsh.run(f"tree -t maple -r mm_struct.mm_mt {mm.value_():x} -x")
    assert addresses(out) == [entry.value_() for _, _, entry in mt_for_each(mm.mm_mt.address_of_())]


def test_xarray_matches_drgn(kernel, crashsh):
    from drgn.helpers.linux.pid import find_task
    from drgn.helpers.linux.xarray import xa_for_each

    prog = crashsh.session.prog
    mapping = find_task(prog, 1).mm.exe_file.f_mapping
    out = crashsh.run(f"tree -t xarray -r address_space.i_pages {mapping.value_():x} -p")
    expected = list(xa_for_each(mapping.i_pages.address_of_()))
    assert addresses(out) == [entry.value_() for _, entry in expected]
    indexes = [int(line.split()[1]) for line in out.splitlines() if "index:" in line]
    assert indexes == [index for index, _ in expected]
