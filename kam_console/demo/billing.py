"""The demo's services (subscribed business) and 24 months of billed revenue, account by account.

Revenue is derived from the services an account holds: each service has a monthly fee by product
(circuits by bandwidth and by how far apart their ends are), prorated in the months it starts or ends;
an account's monthly figure for a product is the sum over its services in force that month, shaped by
the account's growth trend and the season (the Spring Festival dip in February, the year-end peak in
December), with small noise and occasional negative billing adjustments. Billed lines are the lines of
the services in force. Amounts are rounded to integer fen before they leave this module.

Rows come out in batches (account order), so millions of revenue rows never sit in memory at once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from kam_console.demo.names import Weighted
from kam_console.demo.plan import MONTHS, AccountPlan, Plan
from kam_console.demo.reference import Reference, Unit

# Relative weights of the products an account of each industry subscribes to.
PRODUCT_MIX = {
    "GOV": {"VOICE": 3, "MOBILE": 3, "INTERNET": 3, "DC": 2.5, "NEL": 0.5, "VIDEO": 2, "CLOUD": 1.5, "OTHER": 0.5},
    "FIN": {"VOICE": 2, "MOBILE": 2, "INTERNET": 2, "DC": 4, "NEL": 1, "VIDEO": 1, "CLOUD": 1.5, "OTHER": 0.5},
    "EDU": {"VOICE": 2, "MOBILE": 2, "INTERNET": 4, "DC": 1, "NEL": 0.3, "VIDEO": 1.5, "CLOUD": 1, "OTHER": 0.5},
    "MED": {"VOICE": 3, "MOBILE": 2, "INTERNET": 3, "DC": 1.5, "NEL": 0.3, "VIDEO": 1, "CLOUD": 1.5, "OTHER": 0.5},
    "TRN": {"VOICE": 2, "MOBILE": 3, "INTERNET": 2.5, "DC": 2.5, "NEL": 1, "VIDEO": 0.5, "CLOUD": 1, "OTHER": 0.5},
    "ENE": {"VOICE": 2, "MOBILE": 2.5, "INTERNET": 2, "DC": 3, "NEL": 1.5, "VIDEO": 1, "CLOUD": 1, "OTHER": 0.5},
    "MFG": {"VOICE": 2.5, "MOBILE": 3, "INTERNET": 3, "DC": 1, "NEL": 0.3, "VIDEO": 0.5, "CLOUD": 1, "OTHER": 0.5},
    "NET": {"VOICE": 0.5, "MOBILE": 1, "INTERNET": 4, "DC": 1.5, "NEL": 1, "VIDEO": 0.3, "CLOUD": 4, "OTHER": 0.5},
    "TRD": {"VOICE": 3, "MOBILE": 3, "INTERNET": 2.5, "DC": 0.5, "NEL": 0.2, "VIDEO": 0.3, "CLOUD": 1, "OTHER": 0.5},
    "CUL": {"VOICE": 2.5, "MOBILE": 2.5, "INTERNET": 3, "DC": 0.5, "NEL": 0.2, "VIDEO": 0.5, "CLOUD": 1, "OTHER": 0.5},
    "AGR": {"VOICE": 3, "MOBILE": 3, "INTERNET": 2, "DC": 0.3, "NEL": 0.1, "VIDEO": 0.3, "CLOUD": 0.5, "OTHER": 0.5},
    "CON": {"VOICE": 3, "MOBILE": 3, "INTERNET": 2.5, "DC": 0.5, "NEL": 0.2, "VIDEO": 0.5, "CLOUD": 0.8, "OTHER": 0.5},
    "OTH": {"VOICE": 3, "MOBILE": 3, "INTERNET": 2, "DC": 0.3, "NEL": 0.1, "VIDEO": 0.3, "CLOUD": 0.5, "OTHER": 1},
}
# Monthly fee (yuan) per circuit by bandwidth, with the weight of each bandwidth.
DC_BANDWIDTHS = (
    ("2M", 1200, 30),
    ("10M", 3200, 25),
    ("34M", 7500, 12),
    ("155M", 20000, 18),
    ("622M", 52000, 8),
    ("2.5G", 120000, 3),
)
NEL_BANDWIDTHS = (("155M", 14000, 50), ("622M", 36000, 35), ("2.5G", 85000, 15))
INTERNET_BANDWIDTHS = (("50M", 1200, 20), ("100M", 2200, 35), ("200M", 3800, 22), ("500M", 7500, 15), ("1G", 13000, 8))
# Circuits whose ends lie further apart cost more.
SCOPE_FEE = {"same": 1.0, "province": 1.3, "national": 1.8}
INDUSTRY_FEE = {"FIN": 1.3, "NET": 1.4, "GOV": 1.1, "ENE": 1.2, "EDU": 0.9, "TRD": 0.9, "CUL": 0.9, "AGR": 0.7}
# Calendar-month shape of revenue: the Spring Festival dip and the year-end peak.
SEASON = {1: 1.00, 2: 0.86, 3: 0.97, 4: 0.99, 5: 1.00, 6: 1.02, 7: 0.99, 8: 0.98, 9: 1.01, 10: 0.96, 11: 1.03, 12: 1.10}
SERVICE_PREFIX = {
    "VOICE": "GH",
    "MOBILE": "YD",
    "INTERNET": "ZX",
    "DC": "DL",
    "NEL": "WY",
    "VIDEO": "SP",
    "CLOUD": "YN",
    "OTHER": "QT",
}
ADJUSTMENT_RATE = 0.004
BATCH_ACCOUNTS = 2000


@dataclass(slots=True)
class ServicePlan:
    id: int
    service_no: str
    product: str
    bandwidth: str | None
    a_city_id: int | None
    z_city_id: int | None
    lines: int
    start: dt.date
    end: dt.date | None
    status: str
    fee: float  # yuan per month for all its lines; becomes integer fen only on the revenue row

    def row(self, account_id: int, product_id: int) -> tuple:
        return (
            self.id,
            self.service_no,
            account_id,
            product_id,
            self.bandwidth,
            self.a_city_id,
            self.z_city_id,
            self.lines,
            self.start,
            self.end,
            self.status,
        )


SERVICE_COLUMNS = (
    "id",
    "service_no",
    "account_id",
    "product_id",
    "bandwidth",
    "a_city_id",
    "z_city_id",
    "lines",
    "start_date",
    "end_date",
    "status",
)
REVENUE_COLUMNS = ("month", "account_id", "product_id", "serving_city_id", "revenue_fen", "billed_lines")


@dataclass
class Batch:
    services: list[tuple]
    revenue: list[tuple]
    accounts_done: int


class Biller:
    def __init__(self, plan: Plan, ref: Reference, seed: int):
        self.plan, self.ref, self.window = plan, ref, plan.window
        self.rng = random.Random(f"{seed}:billing")
        self.product_ids = ref.product_ids
        self.mix: dict[tuple[str, bool], Weighted[str]] = {}
        for industry, weights in PRODUCT_MIX.items():
            for big in (False, True):
                codes = [c for c in ref.product_ids if c in weights]
                # National and provincial accounts connect sites: more circuits.
                self.mix[(industry, big)] = Weighted(
                    codes, [weights[c] * (1.8 if big and c in ("DC", "NEL") else 1.0) for c in codes]
                )
        # Bigger accounts lease fatter pipes: the bias doubles the weight of each next bandwidth.
        self.bandwidths = {
            (product, big): Weighted(table, [wt * ((2.0 if big else 1.0) ** i) for i, (_b, _f, wt) in enumerate(table)])
            for product, table in (("DC", DC_BANDWIDTHS), ("NEL", NEL_BANDWIDTHS), ("INTERNET", INTERNET_BANDWIDTHS))
            for big in (False, True)
        }
        self.counts = {
            "provincial": Weighted((1, 2, 3, 4, 5, 6), (20, 30, 22, 15, 9, 4)),
            "city": Weighted((1, 2, 3, 4, 5, 6), (38, 30, 17, 9, 4, 2)),
        }
        self.season = [SEASON[m % 100] for m in self.window.months]
        self.next_service_id = 1
        # Other cities of the same province (by city), and all cities, weighted by size.
        self.same_province = {
            c.id: Weighted(others, [o.weight for o in others])
            for p in ref.provinces
            for c in p.children
            if (others := [o for o in p.children if o is not c])
        }
        self.any_city = Weighted(ref.cities, [c.weight for c in ref.cities])

    # --- services -------------------------------------------------------------------------------

    def _other_city(self, a: AccountPlan, scope: str) -> Unit:
        rng, city = self.rng, a.city
        if scope == "province":
            picker = self.same_province.get(city.id)
            return picker.pick(rng) if picker else city
        if scope == "national":
            for _ in range(20):
                other = self.any_city.pick(rng)
                if other.province_id != city.province_id:
                    return other
        return city

    def _circuit_ends(self, a: AccountPlan) -> tuple[Unit, Unit]:
        rng, r = self.rng, self.rng.random()
        if a.level == "national":
            if a.head is None:
                z = rng.choice(a.branch_cities) if a.branch_cities and r < 0.85 else self._other_city(a, "national")
            elif r < 0.55 and a.hq_city is not None and a.hq_city is not a.city:
                z = a.hq_city  # branch to head office: mostly across provinces
            elif r < 0.8:
                z = self._other_city(a, "province")
            else:
                z = a.city
        elif a.level == "provincial":
            z = a.city if r < 0.2 else self._other_city(a, "province" if r < 0.8 else "national")
        else:
            z = a.city if r < 0.45 else self._other_city(a, "province" if r < 0.85 else "national")
        return a.city, z

    def _start_date(self, a: AccountPlan, first: bool, latest: dt.date) -> dt.date:
        rng, w = self.rng, self.window
        if a.start_idx == 0 and (first or rng.random() < 0.8):
            begin = max(a.created, w.first_day - dt.timedelta(days=5 * 365))
            span = (w.first_day - begin).days
            start = begin + dt.timedelta(days=rng.randrange(span)) if span > 0 else begin
        elif first:
            start = a.created
        else:
            lo = max(a.start_idx, 0)
            hi = max(lo, min(w.index_of(latest), MONTHS - 1))
            start = w.day_in(rng.randint(lo, hi), rng)
        return min(max(start, a.created), latest)

    def services_for(self, a: AccountPlan) -> list[ServicePlan]:
        rng, w = self.rng, self.window
        if a.status == "prospect":
            if rng.random() < 0.45:
                return []
            count = 1
        elif a.level == "national":
            count = rng.randint(5, 9) if a.head is None else rng.randint(2, 4)
        else:
            count = self.counts[a.level].pick(rng)
        big = a.level != "city"
        mix = self.mix.get((a.industry, big)) or self.mix[("OTH", big)]
        industry_fee = INDUSTRY_FEE.get(a.industry, 1.0)
        if a.status == "churned":
            latest = a.churn_date
        elif a.status == "dormant":
            latest = w.starts[a.stop_idx] + dt.timedelta(days=w.days[a.stop_idx] - 1)
        else:
            latest = w.last_day
        out = []
        for k in range(count):
            product = mix.pick(rng)
            bandwidth = a_city = z_city = None
            size = a.size
            if product in ("DC", "NEL"):
                a_end, z_end = self._circuit_ends(a)
                a_city, z_city = a_end.id, z_end.id
                scope = (
                    "same" if a_end is z_end else "province" if a_end.province_id == z_end.province_id else "national"
                )
                bandwidth, unit_fee, _ = self.bandwidths[(product, big)].pick(rng)
                lines = 2 if product == "DC" and rng.random() < 0.12 else 1
                fee = unit_fee * SCOPE_FEE[scope] * rng.uniform(0.85, 1.15) * lines
            elif product == "INTERNET":
                bandwidth, unit_fee, _ = self.bandwidths[("INTERNET", False)].pick(rng)
                lines = 2 if rng.random() < 0.15 * min(size, 3.0) else 1
                fee = unit_fee * rng.uniform(0.85, 1.15) * lines
            elif product == "VOICE":
                lines = max(1, round(rng.uniform(4, 40) * size))
                fee = lines * rng.uniform(40, 90)
            elif product == "MOBILE":
                lines = max(1, round(rng.uniform(8, 120) * size))
                fee = lines * rng.uniform(50, 130)
            elif product == "VIDEO":
                lines = max(1, round(rng.uniform(2, 15) * size**0.5))
                fee = lines * rng.uniform(250, 800)
            elif product == "CLOUD":
                lines = max(1, round(rng.uniform(1, 6) * size**0.7))
                fee = lines * rng.uniform(1200, 7000)
            else:
                lines = rng.randint(1, 5)
                fee = lines * rng.uniform(150, 2500)
            fee *= industry_fee
            if a.status == "prospect":
                start, end, status = w.today + dt.timedelta(days=rng.randint(7, 60)), None, "pending"
            else:
                start = self._start_date(a, k == 0, latest)
                end, status = None, "active"
                if a.status == "churned":
                    end, status = a.churn_date, "terminated"
                elif a.status == "dormant":
                    status = "suspended"
                elif rng.random() < 0.07:
                    lo = max(w.index_of(start) + 1, 1)
                    if lo <= MONTHS - 2:
                        end, status = w.day_in(rng.randint(lo, MONTHS - 2), rng), "terminated"
                elif rng.random() < 0.01:
                    status = "suspended"
            sid = self.next_service_id
            self.next_service_id += 1
            out.append(
                ServicePlan(
                    sid,
                    f"{SERVICE_PREFIX.get(product, 'QT')}{a.city.code}{sid:08d}",
                    product,
                    bandwidth,
                    a_city,
                    z_city,
                    lines,
                    start,
                    end,
                    status,
                    fee,
                )
            )
        return out

    # --- revenue --------------------------------------------------------------------------------

    def revenue_for(self, a: AccountPlan, services: list[ServicePlan]) -> list[tuple]:
        if a.stop_idx < 0 or not services:
            return []
        rng, w = self.rng, self.window
        last = MONTHS - 1
        monthly_growth = (1.0 + max(a.growth, -0.9)) ** (1.0 / 12.0)
        factor = [self.season[m] * monthly_growth ** (m - last) for m in range(MONTHS)]
        by_product: dict[str, tuple[list[float], list[int]]] = {}
        for s in services:
            if s.status == "pending":
                continue
            first = w.index_of(s.start)
            end_idx = w.index_of(s.end) if s.end is not None else last
            stop = a.stop_idx if s.status != "suspended" or a.status == "dormant" else last - 1
            lo, hi = max(first, 0), min(end_idx, stop, last)
            if lo > hi:
                continue
            fees, lines = by_product.setdefault(s.product, ([0.0] * MONTHS, [0] * MONTHS))
            for m in range(lo, hi + 1):
                fees[m] += s.fee
                lines[m] += s.lines
            if first >= 0:  # started inside the window: bill the days in force
                fees[first] -= s.fee * (s.start.day - 1) / w.days[first]
            if s.end is not None and 0 <= end_idx <= hi:
                fees[end_idx] -= s.fee * (w.days[end_idx] - s.end.day) / w.days[end_idx]
        rows = []
        random_ = rng.random
        for product in sorted(by_product, key=self.product_ids.__getitem__):
            fees, lines = by_product[product]
            pid = self.product_ids[product]
            for m in range(MONTHS):
                n = lines[m]
                if not n:
                    continue
                fen = fees[m] * 100.0 * factor[m] * (0.96 + 0.08 * random_())
                if random_() < ADJUSTMENT_RATE:
                    fen = -fen * (0.05 + 1.2 * random_())  # billing adjustment: a refund or correction
                rows.append((w.months[m], a.id, pid, a.city.id, round(fen), n))
        return rows

    def batches(self) -> Iterator[Batch]:
        services: list[tuple] = []
        revenue: list[tuple] = []
        done = 0
        # About 50 batches (so progress moves), each big enough for the bulk writes to pay off.
        batch_size = max(100, min(BATCH_ACCOUNTS, len(self.plan.accounts) // 50))
        for a in self.plan.accounts:
            plans = self.services_for(a)
            services.extend(s.row(a.id, self.product_ids[s.product]) for s in plans)
            revenue.extend(self.revenue_for(a, plans))
            done += 1
            if done % batch_size == 0:
                yield Batch(services, revenue, done)
                services, revenue = [], []
        yield Batch(services, revenue, done)
