#!/usr/bin/env python3
# Checks a vmmsim trace --svg picture: it parses as XML, every time bin's
# rectangles add up to the bin's count, the bins add up to every exit,
# and so does the histogram.  Usage: svgcheck.py FILE.svg EXITS
import sys
import xml.etree.ElementTree as ET

NS = '{http://www.w3.org/2000/svg}'


def main():
    path, want = sys.argv[1], int(sys.argv[2])
    root = ET.parse(path).getroot()
    total = int(root.get('data-exits'))
    if total != want:
        sys.exit('svg says %d exits, the trace has %d' % (total, want))
    timeline = root.find(NS + "g[@id='timeline']")
    nbins = int(timeline.get('data-bins'))
    binsum = 0
    seen = set()
    for g in timeline.findall(NS + "g[@class='bin']"):
        b = int(g.get('data-bin'))
        if b < 0 or b >= nbins or b in seen:
            sys.exit('bad or repeated bin %d' % b)
        seen.add(b)
        count = int(g.get('data-count'))
        parts = sum(int(r.get('data-count')) for r in g.findall(NS + 'rect'))
        if parts != count or count <= 0:
            sys.exit('bin %d: rectangles add up to %d, not %d' %
                     (b, parts, count))
        binsum += count
    if binsum != total:
        sys.exit('bins add up to %d, not %d' % (binsum, total))
    hist = root.find(NS + "g[@id='histogram']")
    hsum = sum(int(r.get('data-count')) for r in hist.findall(NS + 'rect'))
    if hsum != total:
        sys.exit('histogram adds up to %d, not %d' % (hsum, total))
    print('%s: %d exits in %d bins, histogram agrees' % (path, total,
                                                         len(seen)))


main()
