"""Finding reporting loops in ``{person: manager}``: the pure function behind the edit form and the
import."""

from __future__ import annotations

from teams.selectors import reporting_loops


def test_a_tree_has_no_loops():
    assert reporting_loops({"a": None, "b": "a", "c": "a", "d": "c"}) == []


def test_two_people_managing_each_other_are_a_loop():
    assert reporting_loops({"a": "b", "b": "a", "c": "a"}) == [["a", "b"]]


def test_each_loop_is_found_once_whatever_leads_into_it():
    loops = reporting_loops({"x": "a", "a": "b", "b": "c", "c": "a", "p": "q", "q": "p", "z": None})
    assert sorted(sorted(loop) for loop in loops) == [["a", "b", "c"], ["p", "q"]]


def test_a_manager_missing_from_the_map_ends_the_walk():
    assert reporting_loops({"a": "outside", "b": "a"}) == []


def test_being_ones_own_manager_is_a_loop_of_one():
    assert reporting_loops({"a": "a"}) == [["a"]]
