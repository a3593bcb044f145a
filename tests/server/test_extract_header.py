"""The merchant block: misread trade and region words, and receipts whose name was not read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr_desk.core import ReceiptResult
from ocr_desk.server.extract import extract
from ocr_desk.server.extract.words import NAME_WORDS, PLACE_WORDS, place_only, repair_words
from ocr_desk.server.ocr import OcrLine, OcrOutput

Row = str | list[tuple[str, float]]


def _receipt(*rows: Row) -> ReceiptResult:
    """A receipt with rows 30 px apart: one box per row, or (text, left x) boxes."""
    lines = []
    for index, row in enumerate(rows):
        top = 20 + index * 30
        for text, left in [(row, 40.0)] if isinstance(row, str) else row:
            right = left + 11 * len(text)
            box = ((left, top), (right, top), (right, top + 20), (left, top + 20))
            lines.append(OcrLine(text=text, confidence=0.97, box=box))
    output = OcrOutput(lines=tuple(lines), engine="test", engine_version="0", seconds=0.1)
    return extract(output, job_type="receipt", default_currency="MYR")


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("KWONG FATT HARDWAKE SDN BHD", "KWONG FATT HARDWARE SDN BHD"),  # K for R
        ("MEI LING RESTAURAMT", "MEI LING RESTAURANT"),  # M for N
        ("Sunrise Enterprlse", "Sunrise Enterprise"),  # l for i
        ("Hilltop Trad1ng Co", "Hilltop Trading Co"),  # 1 for I, mixed case kept
        ("Home ServIces", "Home Services"),  # I for i in a word of the vocabulary
        ("SOON HUAT STATIONARY", "SOON HUAT STATIONARY"),  # a spelling, not a misreading
        ("BAKERS MARKER", "BAKERS MARKER"),  # T/R are not look-alikes
        ("GOLDEN HARDWAKK", "GOLDEN HARDWAKK"),  # two letters off: left as read
        ("KEDAI RUNCIT", "KEDAI RUNCIT"),  # short and unknown words are never touched
    ],
)
def test_misread_trade_words_are_put_back(read: str, repaired: str) -> None:
    assert repair_words(read, NAME_WORDS) == repaired


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("40000 KOTA BARU, SCLANGOR", "40000 KOTA BARU, SELANGOR"),  # C for E
        ("Kuala Lumpvr", "Kuala Lumpur"),  # V for U, capitalized as read
        ("88000 KOTA KINABALU, SA8AH", "88000 KOTA KINABALU, SA8AH"),  # SABAH is too short
        ("The WorId Cafe, HoteI Lane", "The World Cafe, Hotel Lane"),  # I read for l
        ("McIntosh Road", "McIntosh Road"),  # one lower-case letter before: a real capital
        ("StreetIIght", "Streetllght"),  # a run of them
    ],
)
def test_misread_regions_and_lower_case_l_are_put_back(read: str, repaired: str) -> None:
    assert repair_words(read, PLACE_WORDS) == repaired


def test_repair_leaves_known_words_and_numbers_alone() -> None:
    text = "NO. 5, JALAN MAWAR 3/1, 43000 KAJANG, SELANGOR DARUL EHSAN"
    assert repair_words(text, PLACE_WORDS) == text
    assert repair_words(repair_words("HARDWAKE", NAME_WORDS), NAME_WORDS) == "HARDWARE"


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("JOHOR", True),
        ("Selangor Darul Ehsan", True),
        ("KUALA LUMPUR, MALAYSIA.", True),
        ("W.P. LABUAN", True),
        ("SELANGOR D.E.", True),
        ("A", False),
        ("JOHOR BAHRU", False),  # a town: part of an address, not a region alone
        ("JOHOR TRADING", False),
        ("", False),
    ],
)
def test_a_row_that_is_only_a_region(text: str, only: bool) -> None:
    assert place_only(text) is only


def test_misread_name_and_region_on_a_whole_receipt() -> None:
    result = _receipt(
        "SIN KWONG HARDWAKE SDN BHD",
        "(123456-K)",
        "NO. 8, JALAN BUNGA RAYA 2,",
        "41200 KLANG, SCLANGOR",
        "TEL: 03-1234 5678",
        "TAX INVOICE",
        "Date: 04/05/2019",
        "TOTAL 12.00",
    )
    assert result.value("merchant") == "SIN KWONG HARDWARE SDN BHD"
    assert result.value("merchant_address") == "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG, SELANGOR"


def test_receipt_whose_name_was_not_read_starts_with_its_address() -> None:
    # The name was printed faintly and the detector missed it: the rows start with the
    # street, then the town, then the region alone, then the phone.
    result = _receipt(
        "B2-17,JL MERDEKA RAYA",
        "75000 MELAKA TENGAH",
        "MELAKA",
        "H/P:012-345 6789",
        "12/08/2019 13:05",
        "0001 CASHIER02",
        "DEPT.01 RM 12.00",
        "CASH RM 20.00",
    )
    assert result.value("merchant") is None  # not the region, not a department row
    assert result.value("merchant_address") == "B2-17,JL MERDEKA RAYA 75000 MELAKA TENGAH MELAKA"


@pytest.mark.parametrize(
    "first_row",
    ["12 Elm Street", "No. 7, Jalan Ros 3", "LOT 22 JALAN KILANG", "10115 BERLIN"],
)
def test_address_rows_are_never_the_name(first_row: str) -> None:
    result = _receipt(first_row, "Tel: 555-0100", "Date: 01/02/2020", "TOTAL 5.00")
    assert result.value("merchant") is None


@pytest.mark.parametrize(
    "name", ["88 STREET FOOD", "21 Jump Street Cafe", "3 JALAN BAKERY", "7 SEAS SEAFOOD RESTAURANT"]
)
def test_names_that_start_like_a_street_are_names(name: str) -> None:
    result = _receipt(name, "12, JALAN PANTAI 4,", "50000 KUALA LUMPUR", "TOTAL 30.00")
    assert result.value("merchant") == name
    assert result.value("merchant_address") == "12, JALAN PANTAI 4, 50000 KUALA LUMPUR"


def test_a_name_above_its_address_is_still_found() -> None:
    result = _receipt(
        "7 SEAS SEAFOOD RESTAURANT",  # starts with a number, but names no road
        "12, JALAN PANTAI 4,",
        "50000 KUALA LUMPUR",
        "TEL: 03-2222 3333",
        "TOTAL 30.00",
    )
    assert result.value("merchant") == "7 SEAS SEAFOOD RESTAURANT"
    assert result.value("merchant_address") == "12, JALAN PANTAI 4, 50000 KUALA LUMPUR"


@pytest.mark.parametrize(
    "next_row",
    [
        "SHOPPING HOURS",
        "OPEN DAILY 10AM - 10PM",
        "MON-SAT 9.00AM-9.00PM",
        "Receipt No 12345",
        "CASHIER ALI",
        "Table No 12",
        "ORDER #123",
        "Member ID 88231",
        "WELCOME TO OUR STORE",
        "Thank you, come again",
        "Best coffee in town",  # after the postcode and town: a slogan
    ],
)
def test_address_ends_before_hours_numbers_greetings_and_slogans(next_row: str) -> None:
    result = _receipt(
        "KEDAI MAJU SDN BHD",
        "NO. 8, JALAN BUNGA RAYA 2,",
        "41200 KLANG, SELANGOR",
        next_row,
        "12/08/2019",
        "TOTAL 12.00",
    )
    assert result.value("merchant_address") == "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG, SELANGOR"


@pytest.mark.parametrize(
    ("next_row", "address"),
    [
        ("SELANGOR DARUL EHSAN", "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG SELANGOR DARUL EHSAN"),
        ("MALAYSIA", "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG MALAYSIA"),
        ("(PLAZA BRANCH)", "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG (PLAZA BRANCH)"),
    ],
)
def test_region_country_and_branch_rows_after_the_town_stay(next_row: str, address: str) -> None:
    result = _receipt(
        "KEDAI MAJU SDN BHD",
        "NO. 8, JALAN BUNGA RAYA 2,",
        "41200 KLANG",
        next_row,
        "TEL: 03-1234 5678",
        "TOTAL 12.00",
    )
    assert result.value("merchant_address") == address


def test_town_on_the_row_after_its_postcode_stays() -> None:
    result = _receipt(
        "KEDAI MAJU SDN BHD",
        "8, JALAN MAWAR, TAMAN SERI,47400",
        "PETALING JAYA",
        "TEL: 03-1234 5678",
        "TOTAL 12.00",
    )
    assert result.value("merchant_address") == "8, JALAN MAWAR, TAMAN SERI,47400 PETALING JAYA"


@pytest.mark.parametrize(
    "beside",
    ["Date: 12/08/2019", "INVOICE NO: A123", "GST ID: 001234567890", "TEL: 03-1234 5678"],
)
def test_a_box_printed_beside_an_address_row_is_left_out(beside: str) -> None:
    result = _receipt(
        "KEDAI MAJU SDN BHD",
        [("NO. 8, JALAN BUNGA RAYA 2,", 40), (beside, 500)],
        [("41200 KLANG, SELANGOR", 40), ("Cashier: ALI", 500)],
        "Receipt: 8812",
        "TOTAL 12.00",
    )
    assert result.value("merchant_address") == "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG, SELANGOR"


def test_an_address_row_read_as_two_boxes_is_one_row() -> None:
    result = _receipt(
        "KEDAI MAJU SDN BHD",
        [("NO. 8, JALAN", 40), ("BUNGA RAYA 2,", 200)],
        "41200 KLANG, SELANGOR",
        "TEL: 03-1234 5678",
        "TOTAL 12.00",
    )
    assert result.value("merchant_address") == "NO. 8, JALAN BUNGA RAYA 2, 41200 KLANG, SELANGOR"


@pytest.mark.parametrize(
    ("rows", "address"),
    [
        (["Hauptstrasse 5", "10115 Berlin"], "Hauptstrasse 5 10115 Berlin"),
        (["Bahnhofstr. 12", "80335 München"], "Bahnhofstr. 12 80335 München"),
        (["14 High Street", "Oxford OX1 4AA"], "14 High Street Oxford OX1 4AA"),
        (["123 Elm Street, Suite 4", "Springfield, IL 62704"], None),
    ],
)
def test_street_words_of_other_countries(rows: list[str], address: str | None) -> None:
    result = _receipt("Corner Shop GmbH", *rows, "Tel. 030 1234567", "TOTAL 12.00")
    assert result.value("merchant_address") == (address or " ".join(rows))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ABCDEFGHIKLMNORSTUWabeilnor0158 ,.-/"), max_size=40))
def test_repairs_change_letters_never_the_length(text: str) -> None:
    repaired = repair_words(text, NAME_WORDS | PLACE_WORDS)
    assert len(repaired) == len(text)
    assert [ch.isspace() for ch in repaired] == [ch.isspace() for ch in text]
    assert repair_words(repaired, NAME_WORDS | PLACE_WORDS) == repaired
