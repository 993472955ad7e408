package ladder

// CSS styles the diagrams WriteSVG writes, in light and dark mode and on
// paper. A page includes it once, however many diagrams it holds.
const CSS = `
:root{--bg:#fff;--fg:#1d1d1f;--muted:#656d76;--life:#a0a7af;--rst:#d1242f;--fin:#0969da;--syn:#1a7f37;--ack:#8c959f;--icmp:#8250df;--lost:#bc4c00;--call-bg:#fff8c5;--call-line:#9a6700;--st-bg:#ddf4ff;--st-line:#54aeff;--tw-bg:#fbefff;--tw-line:#a475f9;--closed-bg:#eaeef2;--differs:#cf222e;--fault:#bc4c00;--head-bg:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--life:#484f58;--rst:#ff7b72;--fin:#58a6ff;--syn:#3fb950;--ack:#6e7681;--icmp:#d2a8ff;--lost:#ffa657;--call-bg:#2b2111;--call-line:#d29922;--st-bg:#0c2d6b;--st-line:#1f6feb;--tw-bg:#3c1e70;--tw-line:#a371f7;--closed-bg:#21262d;--differs:#ff7b72;--fault:#ffa657;--head-bg:#161b22}}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--life:#888;--rst:#c00;--fin:#0550ae;--syn:#116329;--ack:#666;--icmp:#6639ba;--lost:#953800;--call-bg:#fff;--call-line:#7d4e00;--st-bg:#fff;--st-line:#0550ae;--tw-bg:#fff;--tw-line:#6639ba;--closed-bg:#fff;--differs:#c00;--fault:#953800;--head-bg:#fff}}
svg.ladder{font:12px "DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;fill:var(--fg);background:var(--bg)}
svg.ladder text{white-space:pre;paint-order:stroke;stroke:var(--bg);stroke-width:3px;stroke-linejoin:round}
.ladder rect.head{fill:var(--head-bg);stroke:var(--muted)}
.ladder .lname{font-weight:bold}
.ladder .lnote,.ladder .at,.ladder .break,.ladder .st text{font-size:10px}
.ladder .lnote,.ladder .at{fill:var(--muted)}
.ladder .life{stroke:var(--life);stroke-dasharray:4 3}
.ladder .cut{stroke:var(--muted);fill:none}
.ladder .break text{fill:var(--muted);font-style:italic;font-size:11px}
.ladder .pk .arrow{stroke:var(--fg);stroke-width:1.4;fill:none}
.ladder .pk path.head{fill:var(--fg)}
.ladder .pk.ack .arrow{stroke:var(--ack)}.ladder .pk.ack path.head,.ladder .pk.ack text{fill:var(--ack)}
.ladder .pk.syn .arrow{stroke:var(--syn)}.ladder .pk.syn path.head,.ladder .pk.syn text{fill:var(--syn)}
.ladder .pk.fin .arrow{stroke:var(--fin);stroke-width:2}.ladder .pk.fin path.head,.ladder .pk.fin text{fill:var(--fin)}
.ladder .pk.rst .arrow{stroke:var(--rst);stroke-width:2.6}.ladder .pk.rst path.head,.ladder .pk.rst text{fill:var(--rst)}
.ladder .pk.rst .plabel,.ladder .reason{font-weight:bold}
.ladder .pk.icmp .arrow{stroke:var(--icmp);stroke-width:2}.ladder .pk.icmp path.head,.ladder .pk.icmp text{fill:var(--icmp)}
.ladder .pk.retrans .arrow{stroke-dasharray:6 3}
.ladder .pk.lost .arrow{stroke:var(--lost);stroke-dasharray:3 3}.ladder .pk.lost text{fill:var(--lost)}
.ladder .cross{stroke:var(--lost);stroke-width:2.4}
.ladder .call .box{fill:var(--call-bg);stroke:var(--call-line)}
.ladder .call .active{fill:var(--call-bg);stroke:var(--call-line)}
.ladder .call .result{font-weight:bold}
.ladder .call.differs .box{stroke:var(--differs);stroke-width:2}
.ladder .expected,.ladder .sig{fill:var(--differs);font-weight:bold}
.ladder a .errno{text-decoration:underline}
.ladder .st rect{fill:var(--st-bg);stroke:var(--st-line)}
.ladder .st.tw rect{fill:var(--tw-bg);stroke:var(--tw-line)}
.ladder .st.closed rect{fill:var(--closed-bg);stroke:var(--muted)}
.ladder .st.orphan rect{stroke-dasharray:3 2}
.ladder .note text{fill:var(--muted);font-style:italic}
.ladder .note.fault text{fill:var(--fault);font-style:normal;font-weight:bold}
.ladder .note.fault .rule{stroke:var(--fault);stroke-dasharray:8 4}
.ladder .note.kernel text{fill:var(--rst);font-style:normal}
.ladder .note.differs text{fill:var(--differs);font-style:normal;font-weight:bold}
.ladder .note .mark{fill:var(--muted)}
.ladder .note.kernel .mark{fill:var(--rst)}
`
