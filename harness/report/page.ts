// The page: screen and print CSS. On paper every page carries the document's
// id and "Page N of M" in @page margin boxes (Chromium prints them), tables
// break between rows and repeat their header, headings stay with what follows.
import { cssString } from './escape.js';
import type { PaperSize } from './view.js';

/** CSS page size names for each paper option. */
const PAGE_SIZE: Record<PaperSize, string> = { a4: 'A4', letter: 'letter' };

export function pageStyle(paper: PaperSize, runningHead: string): string {
  return `<style>
@page{size:${PAGE_SIZE[paper]};margin:18mm 14mm 18mm 14mm;
@top-left{content:"tppverify test report";font:8pt system-ui,sans-serif;color:#555}
@top-right{content:${cssString(runningHead)};font:8pt system-ui,sans-serif;color:#555}
@bottom-right{content:"Page " counter(page) " of " counter(pages);font:8pt system-ui,sans-serif;color:#555}
@bottom-left{content:"Results relate only to the item tested";font:8pt system-ui,sans-serif;color:#555}}
body{font:13px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#111}
h1{font-size:1.45rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.4rem 0 .45rem;border-bottom:1px solid #bbb}
h3{font-size:1rem;margin:1rem 0 .35rem}h4{font-size:.92rem;margin:.8rem 0 .3rem}
.subtitle{margin:0 0 .6rem;color:#444}
table{border-collapse:collapse;width:100%;margin:.35rem 0}th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
thead th{background:#f1f1f1}table.pairs th{width:34%;background:#f7f7f7;font-weight:600}
thead{display:table-header-group}table.nowrap-last td:last-child,table.nowrap-2 td:nth-child(2){white-space:nowrap}tr{break-inside:avoid}
.verdict{font-size:1.1rem;font-weight:700;padding:.35rem .7rem;display:inline-block;border-radius:4px;margin:.3rem 0}
.ok{background:#dff3e0}.warn{background:#fff3cd}.bad{background:#f8d7da}.demo,.warn-text{color:#b3261e;font-weight:700}
.match.same{color:#1e5e25}.match.differs{color:#b3261e;font-weight:700}.match.unknown{color:#7a5b00}
figure{margin:.5rem 0;break-inside:avoid}figcaption{font-weight:600;margin-bottom:.2rem;font-size:.92rem}
.small{font-size:.86rem;color:#333}code{font-size:.9em}
@media print{body{margin:0;max-width:none;font-size:9.5pt}h2,h3,h4{break-after:avoid}h2+table thead,h3+table thead{break-before:avoid}section{break-inside:auto}}
</style>`;
}
