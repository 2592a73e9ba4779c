#!/usr/bin/env python3
"""Converts us-counties.csv (the county panel) into the files the model loads:
states.csv (the 50 states and DC, with their federal circuit) and counties.csv (every county
with its real activation date, its 2010 population and non-citizen population, and what the
model derives from them), both read by `jurisdictions from`; and county-list.csv, one case
per county, read by the population `counties`.

    python3 make-jurisdictions.py        # from this folder; rewrites the three files

Derived, not tuned:
  admissions   jail admissions a year: 11 million nationally (BJS, 2010-2015) shared in
               proportion to each county's 2010 population
  ident_index  the county's share of non-citizens over the national share (22.0 / 308.7
               million): how much likelier than average a booking there matches an IDENT record
The counties the story names keep their short names (cook, los_angeles, ...); the others are
named after the county and its state (autauga_al). Two counties renamed after the ACS table
was made (Kusilvak, AK; Oglala Lakota, SD) have no non-citizen count: they get their state's
share. Every county's kind is `county` (boroughs,
parishes and independent cities included); the label keeps the Census name.
"""
import csv
import os
import re
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
NATIONAL_ADMISSIONS = 11_000_000

# The model's names for the states, their postal codes and their federal circuits.
STATES = {
    "Alabama": ("alabama", "AL", "eleventh"), "Alaska": ("alaska", "AK", "ninth"),
    "Arizona": ("arizona", "AZ", "ninth"), "Arkansas": ("arkansas", "AR", "eighth"),
    "California": ("california", "CA", "ninth"), "Colorado": ("colorado", "CO", "tenth"),
    "Connecticut": ("connecticut", "CT", "second"), "Delaware": ("delaware", "DE", "third"),
    "District of Columbia": ("dc", "DC", "dc"), "Florida": ("florida", "FL", "eleventh"),
    "Georgia": ("georgia", "GA", "eleventh"), "Hawaii": ("hawaii", "HI", "ninth"),
    "Idaho": ("idaho", "ID", "ninth"), "Illinois": ("illinois", "IL", "seventh"),
    "Indiana": ("indiana", "IN", "seventh"), "Iowa": ("iowa", "IA", "eighth"),
    "Kansas": ("kansas", "KS", "tenth"), "Kentucky": ("kentucky", "KY", "sixth"),
    "Louisiana": ("louisiana", "LA", "fifth"), "Maine": ("maine", "ME", "first"),
    "Maryland": ("maryland", "MD", "fourth"), "Massachusetts": ("massachusetts", "MA", "first"),
    "Michigan": ("michigan", "MI", "sixth"), "Minnesota": ("minnesota", "MN", "eighth"),
    "Mississippi": ("mississippi", "MS", "fifth"), "Missouri": ("missouri", "MO", "eighth"),
    "Montana": ("montana", "MT", "ninth"), "Nebraska": ("nebraska", "NE", "eighth"),
    "Nevada": ("nevada", "NV", "ninth"), "New Hampshire": ("new_hampshire", "NH", "first"),
    "New Jersey": ("new_jersey", "NJ", "third"), "New Mexico": ("new_mexico", "NM", "tenth"),
    "New York": ("new_york_state", "NY", "second"), "North Carolina": ("north_carolina", "NC", "fourth"),
    "North Dakota": ("north_dakota", "ND", "eighth"), "Ohio": ("ohio", "OH", "sixth"),
    "Oklahoma": ("oklahoma", "OK", "tenth"), "Oregon": ("oregon", "OR", "ninth"),
    "Pennsylvania": ("pennsylvania", "PA", "third"), "Rhode Island": ("rhode_island", "RI", "first"),
    "South Carolina": ("south_carolina", "SC", "fourth"), "South Dakota": ("south_dakota", "SD", "eighth"),
    "Tennessee": ("tennessee", "TN", "sixth"), "Texas": ("texas", "TX", "fifth"),
    "Utah": ("utah", "UT", "tenth"), "Vermont": ("vermont", "VT", "second"),
    "Virginia": ("virginia", "VA", "fourth"), "Washington": ("washington", "WA", "ninth"),
    "West Virginia": ("west_virginia", "WV", "fourth"), "Wisconsin": ("wisconsin", "WI", "seventh"),
    "Wyoming": ("wyoming", "WY", "tenth"),
}

# The counties the story names, by FIPS code.
NAMED = {
    "48201": "harris", "06037": "los_angeles", "17031": "cook", "04013": "maricopa",
    "06073": "san_diego", "06071": "san_bernardino", "06085": "santa_clara", "06065": "riverside",
    "06075": "san_francisco", "08031": "denver", "11001": "washington_dc", "12086": "miami_dade",
    "13121": "fulton", "25025": "suffolk", "32003": "clark", "36061": "new_york", "36047": "kings",
    "41005": "clackamas", "42101": "philadelphia", "53033": "king",
}

SUFFIXES = [" County", " Parish", " Borough", " Census Area", " City and Borough", " Municipality",
            " and Borough", " city"]


def slug(county, kind, postal):
    name = county
    for s in SUFFIXES:
        if name.endswith(s):
            name = name[: -len(s)]
            break
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if kind == "city":
        words += "_city"
    return f"{words}_{postal.lower()}"


def main():
    with open(os.path.join(HERE, "us-counties.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    # Two counties renamed after the ACS table was made (Kusilvak, AK; Oglala Lakota, SD) have
    # no non-citizen count: they are given their state's share.
    known = [r for r in rows if r["noncitizens_2010"]]
    state_share = {}
    for state in {r["state"] for r in rows}:
        mine = [r for r in known if r["state"] == state]
        state_share[state] = sum(int(r["noncitizens_2010"]) for r in mine) / sum(int(r["population_2010"]) for r in mine)
    for r in rows:
        if not r["noncitizens_2010"]:
            r["noncitizens_2010"] = str(round(int(r["population_2010"]) * state_share[r["state"]]))
    population = sum(int(r["population_2010"]) for r in rows)
    noncitizens = sum(int(r["noncitizens_2010"]) for r in rows)
    national_share = noncitizens / population

    with open(os.path.join(HERE, "states.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "kind", "parent", "label", "circuit", "activated", "population", "noncitizens"])
        for state in sorted({r["state"] for r in rows}, key=lambda s: STATES[s][0]):
            name, _, circuit = STATES[state]
            mine = [r for r in rows if r["state"] == state]
            w.writerow([name, "state", "usa", state, circuit, mine[0]["statewide_activated"],
                        sum(int(r["population_2010"]) for r in mine), sum(int(r["noncitizens_2010"]) for r in mine)])

    names = set()
    with open(os.path.join(HERE, "counties.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "kind", "parent", "label", "fips", "activated", "population", "noncitizens",
                    "admissions", "ident_index"])
        for r in sorted(rows, key=lambda r: r["fips"]):
            state, postal, _ = STATES[r["state"]]
            name = NAMED.get(r["fips"]) or slug(r["county"], r["kind"], postal)
            assert name not in names, name
            names.add(name)
            pop, nc = int(r["population_2010"]), int(r["noncitizens_2010"])
            admissions = round(NATIONAL_ADMISSIONS * pop / population)
            index = round((nc / pop) / national_share, 4) if pop else 0.0
            w.writerow([name, "county", state, f"{r['county']}, {postal}", r["fips"], r["activated"],
                        pop, nc, admissions, index])
    assert set(NAMED.values()) <= names

    # One case per county, for measuring the activation curve exactly (population `counties`).
    with open(os.path.join(HERE, "county-list.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "jurisdiction"])
        with open(os.path.join(HERE, "counties.csv"), newline="") as c:
            for r in csv.DictReader(c):
                w.writerow(["2013-01-22", r["name"]])


if __name__ == "__main__":
    main()
