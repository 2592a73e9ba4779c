/* W4 in plain single-threaded C: the yardstick for `policy bench w4`.
 *
 * Reads the same jurisdictions.csv and bookings.csv as w4.policy and prints the same table
 * as `policy run --format csv w4.policy` (its table). The rules are w4.policy's, resolved by hand:
 * a county's own policy (ban, bail_rule) is more specific than the state's (trust), which
 * is more specific than the defaults.
 *
 * Build: cc -O2 -o w4 w4.c     Run: ./w4 FOLDER
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(66); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(66); }
    buf[n] = 0;
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static long number(const char **p) {
    long v = 0;
    while (**p >= '0' && **p <= '9') { v = v * 10 + (**p - '0'); (*p)++; }
    return v;
}

static void skip_cell(const char **p) { while (**p && **p != ',' && **p != '\n') (*p)++; }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: w4 FOLDER\n"); return 2; }
    char path[4096];
    size_t size;
    static long cap[3000];
    snprintf(path, sizeof path, "%s/jurisdictions.csv", argv[1]);
    const char *p = slurp(path, &size);
    while (*p && *p != '\n') p++;                       /* header */
    while (*p) {
        p++;
        if (*p != 'C') { while (*p && *p != '\n') p++; continue; }
        p++;
        long c = number(&p);
        for (int k = 0; k < 3; k++) { p++; skip_cell(&p); } /* kind, parent, label: then at the comma before bail_cap */
        p++;
        if (c >= 0 && c < 3000) cap[c] = number(&p);
        while (*p && *p != '\n') p++;
    }

    snprintf(path, sizeof path, "%s/bookings.csv", argv[1]);
    p = slurp(path, &size);
    while (*p && *p != '\n') p++;
    long counts[5][4] = {{0}}, days[5] = {0};
    while (*p == '\n' && p[1]) {
        p++;
        long year = number(&p); p++;
        long month = number(&p); p++;
        long day = number(&p); p++;
        long d = year * 10000 + month * 100 + day;
        p++;                                             /* 'C' */
        long c = number(&p); p++;
        int violent = *p == 'v';
        skip_cell(&p); p++;
        int conviction = *p == 't'; skip_cell(&p); p++;
        int removal = *p == 't'; skip_cell(&p); p++;
        int match = *p == 't'; skip_cell(&p); p++;
        long bail = number(&p); p++;
        long age = number(&p); p++;
        long held = number(&p);
        while (*p && *p != '\n') p++;

        int detainer = d < 20121221 ? match : match && (conviction || removal || violent || bail >= 50000);
        int honored;
        if (c < 100 && d >= 20110907) honored = bail >= 90000;
        else if (c >= 100 && c < 1000 && d >= 20140601) honored = removal || (age >= 18 && bail >= cap[c]);
        else if (c % 50 == 5 && d >= 20140101) honored = violent || conviction || age >= 65;
        else honored = 1;
        int outcome = !match ? 0 : !detainer ? 1 : !honored ? 2 : 3;
        int y = (int)(year - 2010);
        if (y < 0 || y > 4) continue;
        counts[y][outcome]++;
        if (outcome == 3) days[y] += held;
    }
    printf("year,not_matched,no_detainer,declined,transferred,sum(if outcome == transferred then days_held else 0)\n");
    for (int y = 0; y < 5; y++)
        printf("%d,%ld,%ld,%ld,%ld,%ld\n", 2010 + y, counts[y][0], counts[y][1], counts[y][2], counts[y][3], days[y]);
    return 0;
}
