"""W4 with numpy: the vectorised yardstick for `policy bench w4`.

Reads the same jurisdictions.csv and bookings.csv as w4.policy and prints the same table as
`policy run --format csv w4.policy` (its table, without the `#` line), with the rules of w4.policy written as array masks
(a county's own policy over its state's, over the defaults).

Run: python3 w4.py FOLDER
"""
import sys

import numpy as np


def main(folder):
    caps = np.zeros(3000, dtype=np.int64)
    with open(f"{folder}/jurisdictions.csv") as f:
        next(f)
        for line in f:
            name, kind, parent, label, cap = line.rstrip("\n").split(",")
            if kind == "county":
                caps[int(name[1:])] = int(cap)

    with open(f"{folder}/bookings.csv", "rb") as f:
        buf = np.frombuffer(f.read(), dtype=np.uint8)
    # Parsed with array operations: every cell ends at a comma or a newline, nine a row.
    ends = np.flatnonzero((buf == ord(",")) | (buf == ord("\n"))).reshape(-1, 9)[1:]
    starts = np.empty_like(ends)
    starts[:, 1:] = ends[:, :-1] + 1
    starts[1:, 0] = ends[:-1, 8] + 1
    starts[0, 0] = ends[0, 0] - 10  # the first row's date: YYYY-MM-DD

    def digits(at, count):
        v = np.zeros(len(at), dtype=np.int64)
        for k in range(count):
            v = v * 10 + (buf[at + k].astype(np.int64) - ord("0"))
        return v

    def integer(column):
        s, e = starts[:, column], ends[:, column]
        v = np.zeros(len(s), dtype=np.int64)
        for k in range(int((e - s).max())):
            inside = s + k < e
            v = np.where(inside, v * 10 + (buf[np.minimum(s + k, len(buf) - 1)].astype(np.int64) - ord("0")), v)
        return v

    d0 = starts[:, 0]
    date = digits(d0, 4) * 10000 + digits(d0 + 5, 2) * 100 + digits(d0 + 8, 2)
    county = digits(starts[:, 1] + 1, 4)
    violent = buf[starts[:, 2]] == ord("v")
    conviction = buf[starts[:, 3]] == ord("t")
    removal = buf[starts[:, 4]] == ord("t")
    match = buf[starts[:, 5]] == ord("t")
    bail = integer(6)
    age = integer(7)
    held = integer(8)

    detainer = np.where(date < 20121221, match, match & (conviction | removal | violent | (bail >= 50000)))
    ban = (county < 100) & (date >= 20110907)
    bail_rule = (county >= 100) & (county < 1000) & (date >= 20140601)
    trust = (county % 50 == 5) & (date >= 20140101)
    honored = np.where(ban, bail >= 90000,
                       np.where(bail_rule, removal | ((age >= 18) & (bail >= caps[county])),
                                np.where(trust, violent | conviction | (age >= 65), True)))
    outcome = np.where(~match, 0, np.where(~detainer, 1, np.where(~honored, 2, 3)))
    year = date // 10000 - 2010
    ok = (year >= 0) & (year <= 4)
    counts = np.zeros((5, 4), dtype=np.int64)
    np.add.at(counts, (year[ok], outcome[ok]), 1)
    days = np.bincount(year[ok], weights=np.where(outcome[ok] == 3, held[ok], 0), minlength=5).astype(np.int64)
    print("year,not_matched,no_detainer,declined,transferred,sum(if outcome == transferred then days_held else 0)")
    for y in range(5):
        print(f"{2010 + y},{counts[y, 0]},{counts[y, 1]},{counts[y, 2]},{counts[y, 3]},{days[y]}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: w4.py FOLDER")
    main(sys.argv[1])
