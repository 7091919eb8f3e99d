"""The task table reads each task_struct once and decodes its members by offset: every value
is what drgn reads member by member."""

from __future__ import annotations

from drgn.helpers.linux.sched import task_cpu

from crashsh.kernel import tasks


def test_task_table_members_match_drgn(crashsh):
    prog = crashsh.session.prog
    table = tasks.task_contexts(prog)
    assert table
    for tc in table:
        task = tc.task
        try:
            state = task.__state.value_()
        except AttributeError:
            state = task.state.value_()
        assert (tc.pid, tc.tgid, tc.parent, tc.flags, tc.policy) == (
            task.pid.value_(), task.tgid.value_(), task.parent.value_(), task.flags.value_(),
            task.policy.value_())
        assert tc.comm == task.comm.string_().decode(errors="replace")
        assert tc.state == state | task.exit_state.value_()
        assert tc.cpu == task_cpu(task)
        assert tc.mm.value_() == task.mm.value_()
        fields = tc.fields
        assert (fields.fs, fields.files, fields.stack) == (
            task.fs.value_(), task.files.value_(), task.stack.value_())
        assert (fields.utime, fields.stime, fields.start_time, fields.last_arrival) == (
            task.utime.value_(), task.stime.value_(), task.start_time.value_(),
            task.sched_info.last_arrival.value_())
        if fields.rss_counts is not None:
            assert list(fields.rss_counts) == [c.value_() for c in task.rss_stat.count]
        assert tasks.context_of(task) is tc
        assert tasks.task_header(task) == tc.header
