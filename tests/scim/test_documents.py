"""Reading SCIM bodies and applying PATCH, without a database: the shapes clients send."""

from __future__ import annotations

import pytest

from scim.documents import ENTERPRISE, GROUP, USER, apply_patch, read_document
from scim.errors import ScimError


def _ops(*operations: dict) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": list(operations),
    }


def test_attribute_names_are_read_in_any_case_and_unknown_ones_dropped():
    doc = read_document(
        {
            "USERNAME": "a@b.example",
            "Name": {"GivenName": "Ann", "middleName": "X"},
            "roles": [],
            "id": "7",
        },
        USER,
    )

    assert doc == {"userName": "a@b.example", "name": {"givenName": "Ann"}}


def test_core_urn_prefixed_paths_and_the_bare_extension_urn():
    doc = apply_patch(
        {"userName": "a@b.example"},
        _ops(
            {
                "op": "add",
                "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
                "value": "Ann",
            },
            {"op": "add", "path": ENTERPRISE, "value": {"department": "Ops", "schemas": []}},
        ),
        USER,
    )

    assert doc == {
        "userName": "a@b.example",
        "name": {"givenName": "Ann"},
        ENTERPRISE: {"department": "Ops"},
    }


def test_a_failing_operation_leaves_the_document_as_it_was():
    original = {"userName": "a@b.example", "title": "Engineer"}

    with pytest.raises(ScimError) as refused:
        apply_patch(
            original,
            _ops(
                {"op": "replace", "path": "title", "value": "Lead"},
                {"op": "replace", "path": "x.y.z", "value": 1},
            ),
            USER,
        )

    assert refused.value.scim_type == "invalidPath"
    assert original == {"userName": "a@b.example", "title": "Engineer"}


def test_adding_a_member_twice_keeps_one_and_replace_sets_exactly():
    doc = {"displayName": "Web", "members": [{"value": "1"}]}

    added = apply_patch(
        doc,
        _ops({"op": "add", "path": "members", "value": [{"value": "1"}, {"value": "2"}]}),
        GROUP,
    )
    replaced = apply_patch(
        added, _ops({"op": "replace", "path": "members", "value": [{"value": "3"}]}), GROUP
    )

    assert [m["value"] for m in added["members"]] == ["1", "2"]
    assert replaced["members"] == [{"value": "3"}]


def test_removing_every_member_leaves_members_unassigned():
    doc = {"displayName": "Web", "members": [{"value": "1"}]}

    assert apply_patch(doc, _ops({"op": "remove", "path": "members"}), GROUP) == {
        "displayName": "Web"
    }
