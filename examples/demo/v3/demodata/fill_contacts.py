"""Countries, cities, organisations and persons (with their cycle and mentors), roles."""

import random
from collections.abc import Iterator

from contacts.models import City, Country, Organisation, Person, Role
from demodata import words
from demodata.plan import Plan, Source
from demodata.values import Values
from demodata.writer import Writer


def fill(writer: Writer, plan: Plan, source: Source) -> None:
    countries = [row[0] for row in words.COUNTRIES[: plan.countries]]
    writer.insert_all(_countries(plan))
    writer.insert_all(_cities(source.values("contacts.city"), plan))
    writer.insert_all(_organisations(source.values("contacts.organisation"), plan, countries))
    writer.insert_all(_persons(source.values("contacts.person"), plan, countries))
    # the cycle and the forward self-references, once both ends exist
    writer.update(_main_contacts(source.rng("contacts.main_contact"), plan), ["main_contact"])
    writer.update(_forward_mentors(source.rng("contacts.mentor"), plan), ["mentor"])
    writer.insert_all(_roles(source.values("contacts.role"), plan))


def _countries(plan: Plan) -> Iterator[Country]:
    for i, (iso, name, native, population, area, calling) in enumerate(
        words.COUNTRIES[: plan.countries]
    ):
        yield Country(
            iso_code=iso,
            name=name,
            native_name=native,
            population=population,
            area_km2=area if i % 4 else None,
            calling_code=calling,
            is_eu=iso in words.EU_MEMBERS,
        )


def _cities(values: Values, plan: Plan) -> Iterator[City]:
    """Names from the list, some twisted: a few are equal or differ only in case or
    spaces, as when they were typed by hand."""
    for i in range(plan.cities):
        yield City(pk=i + 1, name=values.line(100, words.CITIES))


def _partner_fields(
    values: Values, plan: Plan, row: int, countries: list[str]
) -> dict[str, object]:
    rng = values.rng
    return {
        "street": values.line(200, words.STREETS) if rng.random() < 0.9 else "",
        "city_id": rng.randrange(plan.cities) + 1 if rng.random() < 0.9 else None,
        "country_id": rng.choice(countries) if rng.random() < 0.85 else None,
        "remarks": values.opt_paragraph(row),
        "is_active": rng.random() < 0.9,
        "uid": values.uid(),
        "balance": values.decimal(20, 6),
    }


def _organisations(values: Values, plan: Plan, countries: list[str]) -> Iterator[Organisation]:
    rng = values.rng
    for i in range(plan.organisations):
        last = rng.choice(words.LAST_NAMES)
        name = values.nasty(f"{last} {rng.choice(words.COMPANY_SUFFIXES)}")[:200]
        yield Organisation(
            pk=plan.organisation_pk(i),
            name=name,
            email=values.email(last, i),
            vat_id=values.opt_line(30, ["BE 0123.456.789", "DE123456789", "FR 12 345"], i),
            founded=values.opt_day(i, wide=True),
            headcount=values.opt_small_positive(i),
            main_contact_id=None,  # set by _main_contacts once persons exist
            **_partner_fields(values, plan, i, countries),
        )


def _persons(values: Values, plan: Plan, countries: list[str]) -> Iterator[Person]:
    rng = values.rng
    for i in range(plan.persons):
        first, last = values.person_name()
        roll = rng.random()
        mentor = plan.person_pk(rng.randrange(i)) if roll < 0.4 and i else None
        yield Person(
            pk=plan.person_pk(i),
            name=f"{first} {last}"[:200] if i % 50 else "",
            first_name=first[:100],
            last_name=last[:100],
            honorific=values.opt_line(50, words.TITLES, i),
            short_name=_short_name(rng, first),
            gender=rng.choice(["f", "m", "x", ""]),
            birth_date=values.opt_day(i),
            height_m=values.opt_decimal(3, 2, i, signed=False),
            email=values.email(last, i),
            company_id=(
                plan.organisation_pk(rng.randrange(plan.organisations))
                if rng.random() < 0.6
                else None
            ),
            mentor_id=mentor,
            **_partner_fields(values, plan, i, countries),
        )


def _short_name(rng: random.Random, first_name: str) -> str:
    """In capitals, at most 20 characters (capitals can be longer: "ß" -> "SS")."""
    roll = rng.random()
    if roll < 0.7:
        name = first_name[:20]
    elif roll < 0.85:
        name = first_name[:4]
    else:
        name = rng.choice(words.NICKNAMES)
    return name.upper()[:20]


def _main_contacts(rng: random.Random, plan: Plan) -> Iterator[Organisation]:
    for i in range(plan.organisations):
        if rng.random() < 0.7:
            contact = plan.person_pk(rng.randrange(plan.persons))
            yield Organisation(pk=plan.organisation_pk(i), main_contact_id=contact)


def _forward_mentors(rng: random.Random, plan: Plan) -> Iterator[Person]:
    """About 10% of persons get a mentor with a higher key (inserted after them)."""
    for i in range(plan.persons - 1):
        if rng.random() < 0.1:
            mentor = plan.person_pk(rng.randrange(i + 1, plan.persons))
            yield Person(pk=plan.person_pk(i), mentor_id=mentor)


def _roles(values: Values, plan: Plan) -> Iterator[Role]:
    rng = values.rng
    for i in range(plan.roles):
        start = values.day()
        end = values.opt_day(i)
        yield Role(
            pk=i + 1,
            organisation_id=plan.organisation_pk(rng.randrange(plan.organisations)),
            person_id=plan.person_pk(rng.randrange(plan.persons)),
            function=values.line(100, words.FUNCTIONS) if rng.random() < 0.9 else "",
            start_date=start,
            end_date=max(start, end) if end else None,
            hours_per_week=values.opt_decimal(5, 2, i, signed=False),
            is_primary=rng.random() < 0.3,
        )
