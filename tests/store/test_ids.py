from __future__ import annotations

import uuid

from ocr_desk.store import new_id


def test_new_id_is_a_canonical_version_7_uuid() -> None:
    for _ in range(200):
        text = new_id()
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # the spelled-out formatting matches uuid's own
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_new_ids_are_unique_and_time_ordered_by_millisecond() -> None:
    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    stamps = [uuid.UUID(i).int >> 80 for i in ids]
    assert stamps == sorted(stamps)
