"""Extraction rules on OCR lines fed directly (no engine): layouts, formats, job types."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr_desk.core import ExtractedField, ReceiptResult
from ocr_desk.server.extract import EXTRACTOR_VERSION, extract
from ocr_desk.server.extract.values import detect_currency, find_amounts, find_dates, find_times
from ocr_desk.server.ocr import OcrLine, OcrOutput

Piece = tuple[str, float]  # text and its left x


def _output(rows: list[list[Piece]], *, confidence: float = 0.98) -> OcrOutput:
    lines = []
    for index, pieces in enumerate(rows):
        top = 20 + index * 30
        for text, left in pieces:
            right = left + 11 * len(text)
            box = ((left, top), (right, top), (right, top + 20), (left, top + 20))
            lines.append(OcrLine(text=text, confidence=confidence, box=box))
    return OcrOutput(lines=tuple(lines), engine="test", engine_version="0", seconds=0.1)


def _receipt(*rows: list[Piece]) -> ReceiptResult:
    return extract(_output(list(rows)), job_type="receipt", default_currency="USD")


def test_label_and_amount_in_separate_boxes_make_one_row() -> None:
    result = _receipt(
        [("CORNER CAFE INC", 100)],
        [("88 Main Street, Boston, MA 02110", 40)],
        [("Date: 03/04/2021", 10)],
        [("Latte", 10), ("4.50", 400)],
        [("Bagel 2 @ 2.25", 10), ("4.50", 400)],
        [("Subtotal", 10), ("9.00", 400)],
        [("Sales Tax", 10), ("0.56", 400)],
        [("Total", 10), ("$9.56", 390)],
        [("Cash", 10), ("20.00", 400)],
        [("Change", 10), ("10.44", 400)],
    )
    assert result.value("merchant") == "CORNER CAFE INC"
    assert result.value("merchant_address") == "88 Main Street, Boston, MA 02110"
    assert result.value("date") == "2021-03-04"  # month first for US dollars
    assert result.value("total") == Decimal("9.56")
    assert result.value("subtotal") == Decimal("9.00")
    assert result.value("tax") == Decimal("0.56")
    assert result.value("currency") == "USD"
    items = [(item.description, item.quantity, item.amount) for item in result.line_items]
    assert items == [("Latte", None, Decimal("4.50")), ("Bagel", Decimal("2"), Decimal("4.50"))]
    assert result.extractor_version == EXTRACTOR_VERSION
    assert isinstance(result.value("total"), Decimal)


def test_rounded_total_wins_over_the_unrounded_one() -> None:
    result = extract(
        _output(
            [
                [("KEDAI MAJU SDN BHD", 60)],
                [("TOTAL INCL GST", 10), ("9.02", 400)],
                [("ROUNDING ADJ", 10), ("-0.02", 400)],
                [("TOTAL ROUNDED", 10), ("RM9.00", 390)],
                [("CASH", 10), ("10.00", 400)],
            ]
        ),
        job_type="receipt",
        default_currency="USD",
    )
    assert result.value("total") == Decimal("9.00")
    assert result.value("currency") == "MYR"


def test_amount_on_the_row_below_its_label() -> None:
    result = _receipt([("SHOP", 10)], [("Amount due", 10)], [("123.40", 300)])
    assert result.value("total") == Decimal("123.40")


def test_invoice_gets_number_due_date_and_vendor() -> None:
    result = extract(
        _output(
            [
                [("ACME SUPPLIES LTD", 10)],
                [("Invoice No: INV-2024-0042", 10)],
                [("Invoice date: 2024-05-01", 10)],
                [("Due date: 31 May 2024", 10)],
                [("Total due", 10), ("€1.234,50", 380)],
            ]
        ),
        job_type="invoice",
        default_currency="USD",
    )
    assert result.value("invoice_number") == "INV-2024-0042"
    assert result.value("date") == "2024-05-01"
    assert result.value("due_date") == "2024-05-31"
    assert result.value("vendor") == "ACME SUPPLIES LTD"
    assert result.value("total") == Decimal("1234.50")
    assert result.value("currency") == "EUR"


def test_handwritten_is_text_only() -> None:
    result = extract(
        _output([[("Call Anna 12/03", 10)], [("Total 5.00", 10)]]),
        job_type="handwritten",
    )
    assert result.fields == {}
    assert result.text == "Call Anna 12/03\nTotal 5.00"


def test_unknown_job_type_is_refused() -> None:
    with pytest.raises(ValueError, match="job type"):
        extract(_output([]), job_type="poem")


def test_empty_output_has_no_fields_but_keeps_engine() -> None:
    result = extract(_output([]), job_type="receipt")
    assert result.value("total") is None
    assert result.engine == "test"


def test_low_confidence_fields_are_uncertain() -> None:
    result = extract(
        _output([[("BLURRY SHOP", 10)], [("Total", 10), ("7.00", 300)]], confidence=0.3),
        job_type="receipt",
    )
    assert "total" in result.uncertain()
    assert "merchant" in result.uncertain()


def test_engine_fields_fill_what_layout_missed() -> None:
    output = _output([[("SHOP", 10)]])
    read = ReceiptResult(fields={"total": ExtractedField(value=Decimal("4.20"), confidence=0.9)})
    output = OcrOutput(
        lines=output.lines, engine="llm", engine_version="1", seconds=1.0, fields=read
    )
    assert extract(output, job_type="receipt").value("total") == Decimal("4.20")


@pytest.mark.parametrize(
    ("text", "month_first", "iso"),
    [
        ("25/12/2018", False, "2018-12-25"),
        ("12-01-19", False, "2019-01-12"),
        ("03/04/2021", True, "2021-03-04"),
        ("25 Dec 2018", False, "2018-12-25"),
        ("Dec 25, 2018", False, "2018-12-25"),
        ("25-DEC-18", False, "2018-12-25"),
        ("2018.12.25", False, "2018-12-25"),
        ("Date: 9.3.2018 10:21", False, "2018-03-09"),
    ],
)
def test_date_formats(text: str, month_first: bool, iso: str) -> None:
    assert find_dates(text, month_first=month_first)[0].iso == iso


def test_impossible_dates_are_ignored() -> None:
    assert find_dates("31/02/2018 and 45/13/2019") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("TOTAL 1,234.56", Decimal("1234.56")),
        ("Summe 1.234,56", Decimal("1234.56")),
        ("RM9.00", Decimal("9.00")),
        ("$ 12.30", Decimal("12.30")),
        ("Rounding -0.02", Decimal("-0.02")),
        ("Discount 3.00-", Decimal("-3.00")),
    ],
)
def test_amounts(text: str, value: Decimal) -> None:
    assert find_amounts(text)[-1][0] == value


def test_dates_and_times_are_not_amounts() -> None:
    assert find_amounts("12/03/2019 10:45") == []


def test_times() -> None:
    assert [t for t, _, _ in find_times("at 2:05 PM and 23:10:09")] == ["14:05", "23:10:09"]


def test_currency_default_is_uncertain() -> None:
    code, confidence = detect_currency("no money here", default="EUR")
    assert code == "EUR"
    assert confidence < 0.6


def test_tax_summary_under_the_total_is_not_the_total() -> None:
    result = _receipt(
        [("KEDAI BUKU MAJU", 10)],
        [("Total Sales (Excluding GST)", 10), ("80.91", 400)],
        [("Total GST", 10), ("4.85", 400)],
        [("Rounding", 10), ("-0.01", 400)],
        [("Total Sales (Inclusive of GST)", 10), ("85.75", 400)],
        [("CASH", 10), ("100.00", 400)],
        [("Change", 10), ("14.25", 400)],
        [("GST SUMMARY", 10)],
        [("Tax Code", 10), ("Amount", 200), ("Tax", 400)],
        [("Total:", 10), ("80.91", 200), ("4.85", 400)],
    )
    assert result.value("total") == Decimal("85.75")
    assert result.value("subtotal") == Decimal("80.91")
    assert result.value("tax") == Decimal("4.85")


@pytest.mark.parametrize(
    "label",
    [
        "Total Sales (Inclusive of GST) :",
        "Total Sales (lnclusive of GST) :",  # I read as l
        "Total Sales (1nclusive of GST) :",
        "Total Ingl. of GST",  # c read as g
        "Total with GST 6%",
    ],
)
def test_a_total_with_the_tax_in_it_is_not_the_tax(label: str) -> None:
    result = _receipt(
        [("YONG HARDWARE", 10)],
        [("Total Sales (Excluding GST)", 10), ("80.91", 400)],
        [("Total GST", 10), ("0.00", 400)],
        [("Rounding", 10), ("-0.01", 400)],
        [(label, 10), ("80.90", 400)],
        [("CASH:", 10), ("100.00", 400)],
    )
    assert result.value("total") == Decimal("80.90")
    assert result.value("tax") == Decimal("0.00")


def test_a_subtotal_labelled_with_the_tax_is_not_the_tax() -> None:
    result = _receipt(
        [("BIG STRETCH TRADING", 10)],
        [("SUB-TOTAL (GST)", 10), ("15.00", 400)],
        [("TOTAL", 10), ("15.00", 400)],
        [("CASH", 10), ("15.00", 400)],
    )
    assert result.value("subtotal") == Decimal("15.00")
    assert result.value("tax") is None


def test_rounded_amount_printed_under_the_rounding_row_is_the_total() -> None:
    result = _receipt(
        [("INDAH HOME DECO", 10)],
        [("TOTAL AMT.", 10), ("RM", 200), ("60.31", 400)],
        [("ROUNDING ADJ", 10), ("-0.01", 400)],
        [("RM", 200), ("60.30", 400)],
        [("CASH", 10), ("RM", 200), ("70.30", 400)],
    )
    assert result.value("total") == Decimal("60.30")


def test_misread_total_is_corrected_when_paid_change_and_sum_agree() -> None:
    result = _receipt(
        [("PERNIAGAAN JAYA", 10)],
        [("Sub Total (RM):", 10), ("106.10", 400)],
        [("Total GST (RM):", 10), ("6.37", 400)],
        [("Rounding (RM):", 10), ("-0.02", 400)],
        [("Total (RM):", 10), ("112.46", 400)],  # the 5 read as a 6
        [("CASH:", 10), ("112.45", 400)],
        [("Change (RM):", 10), ("0.00", 400)],
    )
    assert result.value("total") == Decimal("112.45")


def test_merchant_over_three_rows_and_address_up_to_the_phone() -> None:
    result = _receipt(
        [("tan woon yann", 10)],  # a note written on the receipt
        [("AIK HUAT HARDWARE", 10)],
        [("ENTERPRISE (SETIA", 10)],
        [("ALAM) SDN BHD", 10)],
        [("(822737-X)", 10)],
        [("NO. 17-G, JALAN SETIA INDAH.", 10)],  # OCR read the comma as a full stop
        [("40170 SHAH ALAM,", 10)],
        [("TEL: 012-6651783", 10)],
        [("Document No : TD01167104", 10)],
        [("Date: 15/06/2017", 10)],
    )
    assert result.value("merchant") == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    assert result.value("merchant_address") == "NO. 17-G, JALAN SETIA INDAH, 40170 SHAH ALAM,"
    assert result.value("date") == "2017-06-15"


def test_product_codes_and_expiry_dates_are_not_the_date() -> None:
    result = _receipt(
        [("SHOP", 10)],
        [("CK11-12-19 brush", 10), ("3.00", 400)],
        [("Card Expiry: 30/09/18", 10)],
        [("01/03/18 19:14", 10)],
        [("Total", 10), ("3.00", 400)],
    )
    assert result.value("date") == "2018-01-03"  # month first: the default currency is USD


_TEXT = st.text(
    alphabet=st.sampled_from("0123456789.,:/-$€RMTOTALDatexcl() &%@#\nabcSDNBHD "), max_size=40
)
_COORD = st.floats(min_value=-50, max_value=3000, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_TEXT, _COORD, _COORD, _COORD, _COORD, st.floats(0, 1)), max_size=25),
    st.sampled_from(["receipt", "invoice", "handwritten"]),
)
def test_extraction_never_crashes_on_odd_lines(
    raw: list[tuple[str, float, float, float, float, float]], job_type: str
) -> None:
    lines = tuple(
        OcrLine(text=text, confidence=conf, box=((x0, y0), (x1, y0), (x1, y1), (x0, y1)))
        for text, x0, y0, x1, y1, conf in raw
    )
    output = OcrOutput(lines=lines, engine="fuzz", engine_version="0", seconds=0.0)
    result = extract(output, job_type=job_type)
    for name in ("total", "subtotal", "tax"):
        value = result.value(name)
        assert value is None or isinstance(value, Decimal)
    assert all(0 <= f.confidence <= 1 for f in result.fields.values())
    assert ReceiptResult.from_dict(result.to_dict()).fields.keys() == result.fields.keys()


@pytest.mark.parametrize("description_below", [False, True])
def test_items_over_two_rows_take_their_description_from_the_right_side(
    description_below: bool,
) -> None:
    items = [("SCHOOL BAG BLUE", "9555 1 80.91 80.91"), ("PENCIL CASE", "9556 2 3.50 7.00")]
    rows: list[list[Piece]] = [[("KEDAI BUKU", 10)], [("Date: 25/12/2018", 10)]]
    rows.append([("Item", 10), ("Qty", 200), ("Price", 300), ("Amount", 400)])
    for description, numbers in items:
        pair = [[(description, 10)], [(numbers, 10)]]
        rows.extend(reversed(pair) if description_below else pair)
    rows.append([("Cashier: ANNA", 10)])
    rows.append([("TOTAL", 10), ("87.91", 400)])
    result = _receipt(*rows)
    found = [(i.description, i.quantity, i.amount) for i in result.line_items]
    assert found == [
        ("SCHOOL BAG BLUE", Decimal("1"), Decimal("80.91")),
        ("PENCIL CASE", Decimal("2"), Decimal("7.00")),
    ]


def _sized(*rows: tuple[str, float]) -> ReceiptResult:
    """One centred box per row, each ``(text, letter height)``: type size matters."""
    lines, top = [], 20.0
    for text, height in rows:
        width = 0.55 * height * len(text)
        left = 300 - width / 2
        box = ((left, top), (left + width, top), (left + width, top + height), (left, top + height))
        lines.append(OcrLine(text=text, confidence=0.97, box=box))
        top += height * 1.5
    output = OcrOutput(lines=tuple(lines), engine="test", engine_version="0", seconds=0.1)
    return extract(output, job_type="receipt", default_currency="MYR")


def test_name_over_two_rows_of_large_type_is_one_name() -> None:
    result = _sized(
        ("KEDAI MAKAN SRI", 40),
        ("MAWAR BISTRO", 38),
        ("88, JALAN CEMPAKA 3,", 26),
        ("47301 PETALING JAYA", 26),
        ("TEL: 03-7781 2290", 26),
        ("DATE: 02/05/2019", 26),
        ("TOTAL 12.00", 26),
    )
    assert result.value("merchant") == "KEDAI MAKAN SRI MAWAR BISTRO"
    assert result.value("merchant_address") == "88, JALAN CEMPAKA 3, 47301 PETALING JAYA"


def test_a_row_in_the_body_type_under_the_name_is_not_part_of_it() -> None:
    result = _sized(
        ("ORCHID FLORIST", 40),
        ("Fresh flowers daily", 26),
        ("12, JALAN MELATI 2,", 26),
        ("81200 JOHOR BAHRU", 26),
        ("DATE: 02/05/2019", 26),
        ("TOTAL 30.00", 26),
    )
    assert result.value("merchant") == "ORCHID FLORIST"


def test_address_ends_at_its_country_and_skips_a_store_number_above_it() -> None:
    result = _receipt(
        [("LOTUS BOOK CENTRE SDN BHD", 10)],
        [("(123456-A)", 10)],
        [("550213", 10)],  # a store number printed alone
        [("No 8, Jalan 5/12B, Desa Melur", 10)],
        [("56000 Kuala Lumpur, Malaysia", 10)],
        [("MIDVALLEY OUTLET", 10)],  # the branch, not the address
        [("Tel: 03-9201 1234", 10)],
        [("01/03/18 19:14", 10)],
    )
    assert result.value("merchant") == "LOTUS BOOK CENTRE SDN BHD"
    assert (
        result.value("merchant_address")
        == "No 8, Jalan 5/12B, Desa Melur 56000 Kuala Lumpur, Malaysia"
    )


@pytest.mark.parametrize(
    ("rows", "address"),
    [
        # A comma read as a full stop after a house number, a unit or a road number.
        (["NO.7 & 9. JALAN MAJU 2/4. SEKSYEN 3.", "43300 SERI KEMBANGAN"],
         "NO.7 & 9, JALAN MAJU 2/4, SEKSYEN 3, 43300 SERI KEMBANGAN"),
        (["LOT 12-B. JALAN IMPIAN 6,", "43000 KAJANG"], "LOT 12-B, JALAN IMPIAN 6, 43000 KAJANG"),
        # A speck next to a comma; a postcode run into its town.
        (["NO 3 JALAN RIA 4., TAMAN RIA", "57000KL"], "NO 3 JALAN RIA 4, TAMAN RIA 57000 KL"),
        # A colon after a place name is a speck; after a short label it is printed.
        (["NO: 5, JALAN BESAR, 45600 BATANG KALI:", "SELANGOR"],
         "NO: 5, JALAN BESAR, 45600 BATANG KALI SELANGOR"),
        # Road words misread or run into the road code.
        (["10T 2211 JALANSS 21/7,", "47400 DAMANSARA"], "LOT 2211 JALAN SS 21/7, 47400 DAMANSARA"),
        (["1.OT 5, Jaian Bunga 2,", "81200 Johor"], "LOT 5, Jalan Bunga 2, 81200 Johor"),
    ],
)  # fmt: skip
def test_address_punctuation_and_road_words_as_printed(rows: list[str], address: str) -> None:
    result = _receipt(
        [("SEMPURNA TRADING SDN BHD", 10)],
        *([(row, 10)] for row in rows),
        [("TEL: 03-8941 7788", 10)],
        [("Date: 12/01/2019", 10)],
    )
    assert result.value("merchant_address") == address


def test_name_specks_are_left_out() -> None:
    result = _receipt(
        [("GOLDEN_LEAF (M). SDN BHD", 10)],
        [("1, JALAN API 2, 40000 SHAH ALAM", 10)],
        [("Date: 12/01/2019", 10)],
    )
    assert result.value("merchant") == "GOLDEN LEAF (M) SDN BHD"
