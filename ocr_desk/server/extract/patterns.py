"""The words receipts print around their fields, as compiled patterns.

Generic receipt vocabulary (English first, with common Malay, German, French,
Spanish and Italian labels); OCR slips that are frequent on thermal paper
(``T0TAL``, ``Tatal``) are tolerated where the label matters most.
"""

from __future__ import annotations

import re

__all__ = [
    "ADDRESS_HINT",
    "COMPANY_HINT",
    "COMPANY_SUFFIX",
    "CONTACT",
    "DATE_LABEL",
    "DOC_TITLE",
    "DUE_LABEL",
    "INVOICE_NO",
    "NOT_TAX",
    "OTHER_DATE",
    "NOT_TOTAL",
    "PAYMENT",
    "REGISTRATION",
    "ROUNDED",
    "SUBTOTAL",
    "SUMMARY",
    "TAX",
    "TOTAL",
    "words",
]


def words(*labels: str) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of ``labels`` as whole words."""
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(labels) + r")(?![A-Za-z])", re.IGNORECASE)


_TOT = r"t\s?[o0a]\s?t\s?[a4]\s?[l1i]"  # TOTAL and its usual misreadings
_INC = r"[il1|]n[cg]"  # INCL(USIVE), also misread: "lnclusive", "1ncl.", "Ingl. of GST"
TOTAL = words(
    _TOT,
    r"grand\s*" + _TOT,
    r"amount\s*due",
    r"balance\s*due",
    r"amount\s*payable",
    r"amt\s*due",
    r"to\s*pay",
    r"tl",
    r"jumlah",
    r"summe",
    r"montant",
    r"totale",
    r"importe",
)
NOT_TOTAL = words(
    r"sub\s*-?\s*" + _TOT,
    _TOT + r"\s*(?:qty|quantity|items?|item\(s\)|pcs|units?|savings?|discount|disc|count)",
    r"(?:qty|item|items|sub)\s*" + _TOT,
    _TOT + r"\s*(?:gst|vat|tax|sst|mwst)(?!\s*" + _INC + ")",
    _TOT + r"\s*(?:\w+\s*)?\(?\s*excl?",
    r"excl(?:uding|uded|\.)?\s*(?:of\s*)?(?:gst|vat|tax)",
    r"before\s*(?:gst|vat|tax)",
    _TOT + r"\s*(?:number|no\.?)",
    r"you\s*saved?",
    r"tot\s*qty",
)
ROUNDED = words(r"round(?:ed|ing)?", r"rnd", r"adj(?:ustment)?", r"rounding\s*adj")
PAYMENT = words(
    r"cash", r"change", r"tender(?:ed)?", r"paid", r"card", r"visa", r"master\s*card",
    r"credit", r"debit", r"payment", r"refund", r"tunai", r"baki", r"amex",
)  # fmt: skip
SUBTOTAL = words(
    r"sub\s*-?\s*" + _TOT,
    _TOT + r"\s*(?:sales\s*)?\(?\s*excl?\S*\s*(?:of\s*)?(?:gst|vat|tax)?",
    _TOT + r"\s*before\s*(?:gst|vat|tax)",
    r"net\s*amount",
    r"amount\s*excl\S*",
)
TAX = words(
    r"gst", r"vat", r"tax", r"sales\s*tax", r"sst", r"mwst", r"tva", r"iva", r"hst", r"pst",
)  # fmt: skip
NOT_TAX = words(
    r"(?:gst|vat|tax|sst)\s*(?:reg\S*|id|no\.?|number|#|summary|invoice|code)",
    r"tax\s*invoice",
    _INC + r"l\S*\s*(?:of\s*)?(?:gst|vat|tax)",
    r"(?:gst|vat|tax)\s*" + _INC + r"l\S*",
    r"excl\S*\s*(?:of\s*)?(?:gst|vat|tax)",
    r"(?:before|w/o|without|after)\s*(?:gst|vat|tax)",
    _TOT + r"\s*(?:sales\s*)?\(?\s*" + _INC,
    _TOT + r"\s*with\s*(?:gst|vat|tax)",  # "Total with GST 6%": the total, tax included
    r"sub\s*-?\s*" + _TOT,  # "SUB-TOTAL (GST)"
)
SUMMARY = re.compile(
    r"(?:gst|vat|tax|sst)\s*summary|summary\s*of\s*(?:gst|vat|tax)|tax\s*code|"
    r"tax\s*rate\s*.*net|mwst\s*netto|^\s*(?:code|rate)\s+.*(?:amount|amt)",
    re.IGNORECASE,
)
DATE_LABEL = words(r"date", r"dated", r"tarikh", r"datum", r"fecha", r"dt", r"bizdate")
OTHER_DATE = words(
    r"exp(?:iry|ires|\.)?", r"valid(?:\s*(?:until|thru|till))?", r"closed", r"printed",
    r"birth", r"dob", r"since", r"from", r"member\s*since", r"best\s*before",
)  # fmt: skip
DUE_LABEL = words(r"due\s*date", r"payment\s*due", r"due\s*by", r"due\s*on", r"pay\s*by")
INVOICE_NO = re.compile(
    r"(?:invoice|inv|bill|receipt|doc(?:ument)?|rcpt)\s*(?:no\.?|number|num|#|id)\s*[:#.]?\s*"
    r"(?P<value>[A-Z0-9][A-Z0-9\-/.]{1,30})",
    re.IGNORECASE,
)
ADDRESS_HINT = re.compile(
    r"\b(?:jalan|jln|jl|lorong|persiaran|lebuh(?:raya)?|taman|tmn|bandar|kawasan|"
    r"street|st|road|rd|avenue|ave|lane|ln|blvd|boulevard|drive|dr|highway|hwy|way|"
    r"lot|no|unit|suite|ste|floor|flr|level|block|blk|building|bldg|plaza|mall|centre|"
    r"center|square|park|court|ct|place|pl|seksyen|section|"
    r"strasse|straße|str|rue|via|calle|avenida|p\.?o\.?\s*box|\d{4,6})\b|,|"
    r"\b[A-Za-zÄÖÜäöüß]{3,}(?:strasse|straße|str\.|weg|platz|gasse|allee)(?=\W|$)",
    re.IGNORECASE,
)
REGISTRATION = re.compile(
    r"\(?\s*(?:co\.?\s*(?:reg\.?|no\.?)\s*(?:no\.?)?\s*:?\s*)?\b[A-Z]{0,3}\d{4,}\s?[-‐·.]\s?[A-Z]\b\)?"
    r"|\(\s*[A-Z]{0,3}\d{5,}[-‐·.]?[A-Z]?\s*\)",
    re.IGNORECASE,
)
CONTACT = re.compile(
    r"\b(?:tel|telephone|phone|fax|ph|mobile|h/?p|email|e-mail|www|http|"
    r"gst\s*(?:reg|id|no)|co\.?\s*(?:reg|no)|company\s*(?:reg|no)|roc|reg\.?\s*no|"
    r"vat\s*(?:reg|no)|abn|ein|tin|sst\s*(?:id|no))\s*[:.#]|\b[tf]\s*:|"
    r"\b(?:tel|telephone|phone|fax|email|gst\s*(?:reg|id|no)|vat\s*(?:reg|no)|website|"
    r"care\s*line|hotline|customer\s*service|company\s*(?:reg|no)|co\.?\s*-?\s*reg)|"
    r"@|\b[\w-]+\.(?:com|net|org|my|sg|co\.uk|de)\b|\b\d{2,4}[- ]\d{3,4}[- ]?\d{3,4}\b",
    re.IGNORECASE,
)
DOC_TITLE = re.compile(
    r"^\W*(?:simplified\s*)?(?:tax\s*invoice|invoice|receipt|official\s*receipt|"
    r"cash\s*(?:sale|bill|receipt)|sales\s*receipt|bill|welcome|thank\s*you|"
    r"guest\s*check|cash|copy|duplicate)\W*$",
    re.IGNORECASE,
)
COMPANY_SUFFIX = words(
    r"sdn\.?\s*bhd\.?", r"bhd\.?", r"s/b", r"ltd\.?", r"llc", r"inc\.?", r"corp\.?",
    r"gmbh", r"plc", r"pte\.?(?:\s*ltd\.?)?", r"limited", r"co\.?\s*(?:ltd|llc)\.?",
    r"s\.a\.(?:r\.l\.)?", r"sarl", r"pty\.?(?:\s*ltd\.?)?",
)  # fmt: skip
COMPANY_HINT = words(
    r"enterprise", r"trading", r"restaurant", r"restoran", r"cafe", r"store", r"stores",
    r"mart", r"market", r"supermarket", r"minimarket", r"shop", r"hardware", r"bakery",
    r"pharmacy", r"hotel", r"company", r"kedai", r"pasaraya", r"perniagaan", r"stationery",
    r"bookstore", r"books?", r"electrical", r"motor", r"services?", r"industries",
    r"international", r"holdings", r"group", r"bistro", r"kitchen", r"food", r"deli",
)  # fmt: skip
