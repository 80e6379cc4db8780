/** The admin page's style sheet: plain, readable, no external fonts or images. */
import { Html } from '../html.js';

export const STYLES = new Html(`
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --panel: #ffffff; --page: #f4f6f9;
  --accent: #2456c7; --ok: #176b3a; --ok-bg: #e7f6ec; --bad: #a3201b; --bad-bg: #fdecea; --warn: #7a5200; --warn-bg: #fff5d6; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--page); }
header.top { background: var(--ink); color: #fff; padding: 18px 28px; }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top p { margin: 0; color: #c9d1e0; }
header.top nav a { color: #fff; margin-right: 16px; font-size: 14px; }
main { max-width: 980px; margin: 0 auto; padding: 20px 28px 60px; }
main.plain { max-width: 640px; padding-top: 60px; }
h2 { font-size: 19px; margin: 0; }
h3 { font-size: 15px; margin: 18px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
section.panel, article.provider { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin: 18px 0; }
section.panel { padding: 18px 22px; }
section.panel > h2 { margin-bottom: 10px; }
article.provider > details > summary { cursor: pointer; padding: 16px 22px; display: flex; align-items: center; gap: 12px; list-style: none; }
article.provider > details > summary::-webkit-details-marker { display: none; }
article.provider > details > summary::before { content: "\\25B8"; color: var(--muted); }
article.provider > details[open] > summary::before { content: "\\25BE"; }
article.provider > details[open] > summary { border-bottom: 1px solid var(--line); }
.provider-body { padding: 4px 22px 20px; }
.badge { display: inline-block; font-size: 12px; padding: 2px 8px; border-radius: 999px; border: 1px solid var(--line); color: var(--muted); }
.badge.on { background: var(--ok-bg); color: var(--ok); border-color: #b9e0c6; }
.badge.default { background: #e6edfb; color: var(--accent); border-color: #bfd0f3; }
.badge.off { background: #f1f2f5; }
.badge.bad { background: var(--bad-bg); color: var(--bad); border-color: #f3c2bf; }
fieldset { border: 0; padding: 0; margin: 0; }
legend { font-size: 15px; margin: 18px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; padding: 0; }
.field { display: grid; grid-template-columns: 210px 1fr; gap: 2px 16px; padding: 8px 0; border-top: 1px solid #eef0f4; }
.field > label { font-weight: 600; padding-top: 6px; }
.field > .control { min-width: 0; }
.field.check > label { padding-top: 0; }
.field input[type=text], .field input[type=url], .field input[type=password], .field input[type=number], .field select {
  width: 100%; padding: 7px 9px; border: 1px solid #b8c0cd; border-radius: 5px; font: inherit; background: #fff; }
.actions select { padding: 7px 9px; border: 1px solid #b8c0cd; border-radius: 5px; font: inherit; background: #fff; min-width: 200px; }
.field input:focus, .field select:focus { outline: 2px solid #9db7ee; border-color: var(--accent); }
.help { margin: 4px 0 0; color: var(--muted); font-size: 13px; }
.secret-state { display: inline-block; font-size: 12px; margin-top: 4px; color: var(--muted); }
.secret-state[data-secret-set=true] { color: var(--ok); }
.secret-state[data-secret-set=true]::before { content: "\\2713  "; }
.required { color: var(--bad); }
.problem { margin: 4px 0 0; color: var(--bad); font-size: 13px; font-weight: 600; }
.actions { display: flex; gap: 10px; margin-top: 16px; align-items: center; flex-wrap: wrap; }
button { font: inherit; padding: 8px 16px; border-radius: 5px; border: 1px solid #b8c0cd; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button:disabled { opacity: .55; cursor: default; }
.general { display: flex; gap: 14px; align-items: flex-start; padding: 12px 0 4px; }
.general form { flex: none; }
.general .help { margin: 0; }
.notice { border-radius: 6px; padding: 12px 16px; margin: 14px 0; border: 1px solid; }
.notice.ok { background: var(--ok-bg); color: var(--ok); border-color: #b9e0c6; }
.notice.bad { background: var(--bad-bg); color: var(--bad); border-color: #f3c2bf; }
.notice.warn { background: var(--warn-bg); color: var(--warn); border-color: #f0dc9b; }
.notice strong { display: block; margin-bottom: 4px; }
.notice p { margin: 4px 0; }
.notice ul { margin: 6px 0 0; padding-left: 20px; }
ol.steps { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px; }
ol.steps li { font-size: 12px; padding: 2px 8px; border-radius: 4px; background: rgba(255,255,255,.7); border: 1px solid currentColor; }
ol.steps li.skipped { opacity: .5; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eef0f4; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.stats-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
code { font-size: 13px; background: #f1f2f5; padding: 1px 5px; border-radius: 3px; }
@media (max-width: 720px) { .field { grid-template-columns: 1fr; } .stats-grid { grid-template-columns: 1fr; } }
`);
