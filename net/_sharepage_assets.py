"""The fixed parts of the share's index page: its words in English and Simplified Chinese, its
style sheet and its one script (allowed by its SHA-256 in the page's Content-Security-Policy, see
net.sharepage.index_csp). net.sharepage fills them in and re-exports them."""

from __future__ import annotations

from typing import Literal

__all__ = ["SCRIPT", "STYLE", "WORDS", "Language"]

Language = Literal["en", "zh_CN"]

#: The page's own words; the index follows the browser's Accept-Language (see choose_language).
WORDS: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Shared files",
        "name": "Name",
        "size": "Size",
        "modified": "Modified",
        "digest": "SHA-256",
        "computing": "computing…",
        "show_digest": "Show the whole SHA-256",
        "filter": "Filter by name",
        "empty": "Nothing is shared yet.",
        "no_match": "No file name contains that text.",
        "one_file": "1 file, {size}",
        "files": "{count} files, {size} in total",
        "bytes": "{count} bytes",
        "terminal": "Download from a terminal",
        "curl_note": "curl, one file a line:",
        "wget_note": "wget, every file with its own name:",
        "copy": "Copy",
        "copied": "Copied",
        "json": "JSON list",
        "zip": "Download as zip",
        "home": "All shared files",
        "folder": "folder",
        "folder_files": "{count} files",
        "upload_title": "Send files here",
        "upload": "Upload",
        "upload_failed": "The upload failed; try again.",
        "entries": "Entries {first}–{last} of {total}",
        "previous": "‹ Previous page",
        "next": "Next page ›",
    },
    "zh_CN": {
        "title": "共享文件",
        "name": "名称",
        "size": "大小",
        "modified": "修改时间",
        "digest": "SHA-256",
        "computing": "计算中…",
        "show_digest": "显示完整的 SHA-256",
        "filter": "按名称筛选",
        "empty": "还没有共享任何文件。",
        "no_match": "没有文件名包含这段文字。",
        "one_file": "1 个文件，{size}",
        "files": "共 {count} 个文件，{size}",
        "bytes": "{count} 字节",
        "terminal": "用命令行下载",
        "curl_note": "curl，每行一个文件：",
        "wget_note": "wget，一次下载全部文件并保留文件名：",
        "copy": "复制",
        "copied": "已复制",
        "json": "JSON 列表",
        "zip": "打包为 zip 下载",
        "home": "全部共享文件",
        "folder": "文件夹",
        "folder_files": "{count} 个文件",
        "upload_title": "上传文件到这里",
        "upload": "上传",
        "upload_failed": "上传失败，请重试。",
        "entries": "第 {first}–{last} 项，共 {total} 项",
        "previous": "‹ 上一页",
        "next": "下一页 ›",
    },
}


STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1c1c1e;--muted:#5f6368;--line:#e2e2e6;--link:#0b57d0;
--code:#f2f3f5;--hover:#f6f8fc;--accent:#0b57d0}
@media (prefers-color-scheme:dark){:root{--bg:#16171a;--fg:#e8e8ea;--muted:#a0a4ab;--line:#33353a;
--link:#8ab4f8;--code:#24262b;--hover:#1e2024;--accent:#8ab4f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:72rem;padding:1rem 1.5rem 2rem;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei",sans-serif}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.5rem;margin:.5rem 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:0 0 .5rem}
.totals{margin:0 0 1rem;color:var(--muted)}
input[type=search]{width:100%;max-width:24rem;min-height:2.5rem;padding:.4rem .7rem;font:inherit;
color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:.5rem}
table{width:100%;border-collapse:collapse;margin:1rem 0;table-layout:auto}
th,td{padding:.35rem .6rem;text-align:left;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);white-space:nowrap}
tbody tr:hover{background:var(--hover)}
td.name{width:100%;overflow-wrap:anywhere}
tr.folder td.name a{font-weight:600}
nav.crumbs{margin:.25rem 0;color:var(--muted);overflow-wrap:anywhere}
td.size,td.date,th.size,th.date{white-space:nowrap}
td.size,th.size{text-align:right}
td.date{color:var(--muted);font-variant-numeric:tabular-nums}
th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" \\2191"}
th[aria-sort=descending] button::after{content:" \\2193"}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;
font-size:.85em}
td.digest{white-space:nowrap}
summary{cursor:pointer}
td.digest details{display:inline-block}
td.digest summary{list-style:none;color:var(--muted)}
td.digest summary::-webkit-details-marker{display:none}
td.digest details[open] summary{display:none}
td.digest .full{white-space:normal;word-break:break-all;display:block;max-width:17rem}
.pending{color:var(--muted);font-style:italic}
.cli{margin-top:1.5rem;border-top:1px solid var(--line);padding-top:.75rem}
.cli summary h2{display:inline;margin:0}
.cli p{margin:.75rem 0 .25rem;color:var(--muted)}
.cmd{display:flex;gap:.5rem;align-items:flex-start}
pre{flex:1;min-width:0;margin:0;padding:.6rem .8rem;background:var(--code);border-radius:.5rem;
white-space:pre-wrap;overflow-wrap:anywhere}
button.copy{font:inherit;color:inherit;background:var(--code);border:1px solid var(--line);
border-radius:.5rem;padding:.3rem .9rem;cursor:pointer;min-height:2.5rem}
footer{margin-top:1.5rem}
#upload{margin:1rem 0;padding:.5rem .75rem;border:1px dashed var(--line)}
#upload h2{font-size:1rem;margin:0 0 .5rem}
[hidden]{display:none!important}
@media (max-width:40rem),(pointer:coarse){
body{padding:.75rem 1rem 1.5rem}
a,button,summary,input[type=search]{min-height:44px}
th button,td.name a,summary,footer a{display:inline-flex;align-items:center}
button.copy{min-width:44px;min-height:44px}
}
@media (max-width:40rem){
table,thead,tbody,tr,td{display:block}
thead tr{display:flex;gap:1.25rem;border-bottom:1px solid var(--line)}
th{border:0;padding:0}
th.digest{display:none}
tbody tr{display:flex;flex-wrap:wrap;align-items:center;column-gap:1rem;padding:.125rem 0 .25rem;
border-bottom:1px solid var(--line)}
td{border:0;padding:0}
td.name{flex:1 1 100%}
td.name a{display:flex;width:100%}
td.size,td.date,td.digest{color:var(--muted)}
td.digest{min-width:0;max-width:100%}
td.digest .full{max-width:100%}
.cmd{flex-direction:column;align-items:stretch}
}
"""

SCRIPT = """
"use strict";
(function () {
  var words = document.body.dataset;
  var form = document.getElementById("upload");
  if (form && window.XMLHttpRequest && window.FormData) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var bar = form.querySelector("progress");
      var status = document.getElementById("upload-status");
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.hidden = false; bar.value = e.loaded / e.total; }
      });
      request.addEventListener("load", function () {
        if (request.status < 400) { window.location.reload(); return; }
        bar.hidden = true;
        status.textContent = request.responseText;
      });
      request.addEventListener("error", function () {
        bar.hidden = true;
        status.textContent = words.uploadFailed;
      });
      status.textContent = "";
      request.send(new FormData(form));
    });
  }
  var table = document.getElementById("files");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var byUrl = {};
  rows.forEach(function (row) { byUrl[row.dataset.url] = row; });
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  rows.forEach(function (row) {
    var time = row.querySelector("time");
    var when = new Date(time.dateTime);
    if (isNaN(when.getTime())) { return; }
    time.textContent = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" +
      pad(when.getDate()) + " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
    time.title = time.dateTime;
  });
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  var sortKey = "name", sortDir = 1;
  function compare(a, b) {
    if (a.dataset.kind !== b.dataset.kind) { return a.dataset.kind === "folder" ? -1 : 1; }
    var x = a.dataset[sortKey], y = b.dataset[sortKey];
    var order = sortKey === "name" ? collator.compare(x, y) : Number(x) - Number(y);
    if (order === 0) { order = collator.compare(a.dataset.name, b.dataset.name); }
    return order * sortDir;
  }
  table.tHead.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-key]");
    if (!button) { return; }
    var key = button.dataset.key;
    sortDir = key === sortKey ? -sortDir : (key === "name" ? 1 : -1);
    sortKey = key;
    rows.sort(compare).forEach(function (row) { tbody.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (th) {
      if (th.dataset.key === key) {
        th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
  });
  var filter = document.getElementById("filter");
  var noMatch = document.getElementById("no-match");
  filter.addEventListener("input", function () {
    var text = filter.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (row) {
      var hide = text !== "" && row.dataset.name.toLowerCase().indexOf(text) < 0;
      row.hidden = hide;
      if (!hide) { shown += 1; }
    });
    noMatch.hidden = shown > 0;
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var pre = document.getElementById(button.dataset.target);
      function done() { button.textContent = words.copied; }
      function select() {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected only */ }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(pre.textContent).then(done, select);
      } else {
        select();
      }
    });
  });
  function showDigest(row, sha256) {
    var cell = row.querySelector("td.digest");
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    var short = document.createElement("code");
    var full = document.createElement("code");
    short.textContent = sha256.slice(0, 12) + "\\u2026";
    summary.title = words.showDigest;
    full.className = "full";
    full.textContent = sha256;
    summary.appendChild(short);
    details.appendChild(summary);
    details.appendChild(full);
    cell.textContent = "";
    cell.appendChild(details);
  }
  var delay = 1000;
  function poll() {
    if (!tbody.querySelector(".pending")) { return; }
    fetch(document.getElementById("json-list").getAttribute("href"),
          {cache: "no-store", credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (items) {
      var found = false;
      items.forEach(function (item) {
        var row = byUrl[item.url];
        if (row && item.sha256 && row.querySelector(".pending")) {
          showDigest(row, item.sha256);
          found = true;
        }
      });
      delay = found ? 1000 : Math.min(delay * 2, 30000);
    }, function () {
      delay = Math.min(delay * 2, 30000);
    }).then(function () { window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
})();
"""
