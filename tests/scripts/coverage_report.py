#!/usr/bin/python3
"""Line and branch coverage of lavaflow's library code, per folder of src/ and capi/, from the
JSON summary gcovr writes (gcovr --json-summary). With --minimum P, exits 1 when the total line
coverage is below P percent (the test command's gate: docs/reliability.md says how P was set).

usage: coverage_report.py SUMMARY.json [--minimum PERCENT] [--markdown]
"""
import json
import sys
from collections import defaultdict


def folder_of(path):
    parts = path.split('/')
    if parts[0] == 'capi':
        return 'capi'
    if parts[0] == 'src' and len(parts) > 2:
        return 'src/' + parts[1]
    return None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    minimum = None
    markdown = '--markdown' in argv
    if '--minimum' in argv:
        minimum = float(argv[argv.index('--minimum') + 1])
    with open(argv[1]) as f:
        summary = json.load(f)
    totals = defaultdict(lambda: [0, 0, 0, 0])  # lines covered, lines, branches covered, branches
    for entry in summary['files']:
        folder = folder_of(entry['filename'])
        if folder is None:
            continue
        t = totals[folder]
        t[0] += entry['line_covered']
        t[1] += entry['line_total']
        t[2] += entry['branch_covered']
        t[3] += entry['branch_total']
    if not totals:
        print('coverage: no file of src/ or capi/ in the summary', file=sys.stderr)
        return 1
    rows = sorted(totals.items())
    everything = [sum(t[i] for _, t in rows) for i in range(4)]

    def pct(covered, total):
        return 100.0 * covered / total if total else 100.0

    if markdown:
        print('| folder | lines | line coverage | branches | branch coverage |')
        print('|---|---:|---:|---:|---:|')
        for folder, t in rows + [('**total**', everything)]:
            print(f'| {folder} | {t[1]} | {pct(t[0], t[1]):.1f}% | {t[3]} | {pct(t[2], t[3]):.1f}% |')
    else:
        print(f'{"folder":<16} {"lines":>7} {"line %":>7} {"branches":>9} {"branch %":>9}')
        for folder, t in rows + [('total', everything)]:
            print(f'{folder:<16} {t[1]:>7} {pct(t[0], t[1]):>6.1f}% {t[3]:>9} {pct(t[2], t[3]):>8.1f}%')
    total = pct(everything[0], everything[1])
    if minimum is not None and total < minimum:
        print(f'coverage: lines of src/ and capi/ at {total:.1f}%, below the gate of {minimum:.1f}%', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
