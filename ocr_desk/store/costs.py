"""The cost ledger: what each job cost, and monthly totals per company."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from ocr_desk.core import format_ts, utc

from .database import Store
from .records import CostEntry, MonthlyCost

__all__ = ["CostRepository"]


class CostRepository:
    """Cost entries of one company."""

    def __init__(self, store: Store, *, company_id: str) -> None:
        self._store = store
        self.company_id = company_id

    def add(
        self,
        *,
        job_id: str | None,
        amount: Decimal,
        currency: str,
        units: Decimal,
        unit_kind: str,
        at: datetime,
        description: str = "",
        source_key: str | None = None,
    ) -> CostEntry | None:
        """Record a cost; with ``source_key``, recording the same cost twice keeps one entry.

        Returns the entry, or None when ``source_key`` was already recorded.
        """
        if not isinstance(amount, Decimal) or not isinstance(units, Decimal):
            raise TypeError("costs are Decimal amounts, never floats")
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"a cost must be a finite amount of zero or more, not {amount}")
        when = utc(at)
        cursor = self._store.conn.execute(
            "INSERT INTO cost_entries (company_id, job_id, amount, currency, units, unit_kind,"
            " description, source_key, recorded_at, month) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                self.company_id,
                job_id,
                str(amount),
                currency.upper(),
                str(units),
                unit_kind,
                description,
                source_key,
                format_ts(when),
                when.strftime("%Y-%m"),
            ),
        )
        if cursor.rowcount == 0:
            return None
        return CostEntry(
            id=int(cursor.lastrowid or 0),
            company_id=self.company_id,
            job_id=job_id,
            amount=amount,
            currency=currency.upper(),
            units=units,
            unit_kind=unit_kind,
            description=description,
            recorded_at=when,
        )

    def for_job(self, job_id: str) -> list[CostEntry]:
        rows = self._store.query(
            "SELECT * FROM cost_entries WHERE company_id = ? AND job_id = ? ORDER BY id",
            (self.company_id, job_id),
        )
        return [CostEntry.from_row(r) for r in rows]

    def monthly_totals(self, *, month: str | None = None) -> list[MonthlyCost]:
        """Totals per month and currency, newest month first (summed as Decimals)."""
        sql = (
            "SELECT month, currency, amount, units, unit_kind FROM cost_entries"
            " WHERE company_id = ?"
        )
        params: list[str] = [self.company_id]
        if month is not None:
            sql += " AND month = ?"
            params.append(month)
        amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        units: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for m, currency, amount, unit_count, unit_kind in self._store.conn.execute(sql, params):
            key = (m, currency)
            amounts[key] += Decimal(amount)
            counts[key] += 1
            units[key][unit_kind] += Decimal(unit_count)
        return [
            MonthlyCost(
                month=m,
                currency=c,
                amount=amounts[(m, c)],
                entries=counts[(m, c)],
                units=dict(units[(m, c)]),
            )
            for m, c in sorted(amounts, key=lambda k: (k[0], k[1]), reverse=True)
        ]
