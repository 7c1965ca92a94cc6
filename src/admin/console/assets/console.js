// The console works without this file; with it the order form fills in place instead of a round
// trip per choice. Same-origin only (CSP script-src 'self'); reads the admin API as the logged-in user.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form || !window.fetch) return;
  var $ = function (name) {
    return form.querySelector('[name="' + name + '"]');
  };
  document.querySelectorAll("[data-no-script]").forEach(function (el) {
    el.hidden = true;
  });

  function lookup(params) {
    var qs = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      if (params[k]) qs.set(k, params[k]);
    });
    return fetch("/admin/api/order-form?" + qs.toString(), { credentials: "same-origin", headers: { accept: "application/json" } }).then(function (r) {
      return r.ok ? r.json() : null;
    });
  }

  function fill(select, rows, empty) {
    var keep = select.value;
    select.textContent = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = empty;
    select.appendChild(first);
    rows.forEach(function (a) {
      var o = document.createElement("option");
      o.value = a.code;
      o.textContent = a.name;
      if (a.code === keep) o.selected = true;
      select.appendChild(o);
    });
  }

  function current() {
    return { supplier: $("supplier").value, q: $("q").value.trim(), province: $("province").value, city: $("city").value, county: $("county").value };
  }

  var STATUS = { rejected: "未通过", delisted: "已撤出" };

  function yuan(fen) {
    return fen === null ? "—" : (fen / 100).toFixed(2);
  }

  // Mirrors candidates() in pages/order-pages.ts, so the page reads the same with or without this file.
  function stockText(p, d) {
    if (!p.orderable) return "—";
    if (!d.stockArea) return "先选区县";
    if (d.stockError) return "查询失败";
    if (!p.stock) return "电商未应答";
    return p.stock.num < 0 ? p.stock.description || "未知" : p.stock.num + "（" + p.stock.description + "）";
  }

  function showCandidates(d) {
    var box = document.getElementById("order-candidates");
    box.textContent = "";
    if (!d || !d.products.length) return;
    if (d.stockError) {
      var note = document.createElement("p");
      note.className = "field-error";
      note.setAttribute("role", "status");
      note.textContent = "库存查询失败：" + d.stockError;
      box.appendChild(note);
    }
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    ["SKU", "名称", "协议价（元）", "上下架", "校验", "所选区县库存", "操作"].forEach(function (t) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = t;
      head.appendChild(th);
    });
    var body = table.createTBody();
    d.products.forEach(function (p) {
      var row = body.insertRow();
      var shelf = p.shelfState === 1 ? "上架" : p.shelfState === 0 ? "下架" : "未知";
      var status = p.status === "active" ? "" : STATUS[p.status] || p.status;
      [p.sku, p.name || "", yuan(p.priceFen), shelf, status, stockText(p, d)].forEach(function (t, i) {
        var td = row.insertCell();
        td.textContent = t;
        if (i === 0) td.className = "mono";
        if (i === 2) td.className = "num";
      });
      var cell = row.insertCell();
      if (!p.orderable) {
        cell.className = "muted";
        cell.textContent = "不可下单";
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "加入";
      button.addEventListener("click", function () {
        addItem(p.sku);
      });
      cell.appendChild(button);
    });
    var wrap = document.createElement("div");
    wrap.className = "scroll";
    wrap.appendChild(table);
    box.appendChild(wrap);
  }

  function addItem(sku) {
    var items = $("items");
    var lines = items.value.split(/\r?\n/).filter(function (l) {
      return l.trim();
    });
    if (
      !lines.some(function (l) {
        return l.trim().split(/\s+/)[0] === sku;
      })
    )
      lines.push(sku + " 1");
    items.value = lines.join("\n");
    items.focus();
  }

  form.addEventListener("click", function (e) {
    var target = e.target;
    if (target && target.dataset && target.dataset.addSku) {
      e.preventDefault();
      addItem(target.dataset.addSku);
    }
    if (target && target.name === "search") {
      e.preventDefault();
      search();
    }
  });

  $("province").addEventListener("change", function () {
    $("city").value = "";
    $("county").value = "";
    lookup(current()).then(function (d) {
      if (!d) return;
      fill($("city"), d.cities, d.cities.length ? "请选择" : "先选省");
      fill($("county"), [], "先选市");
    });
  });
  $("city").addEventListener("change", function () {
    $("county").value = "";
    lookup(current()).then(function (d) {
      if (d) fill($("county"), d.counties, d.counties.length ? "请选择" : "先选市");
    });
  });

  var timer = null;
  function search() {
    var c = current();
    if (!c.supplier || !c.q) return showCandidates(null);
    lookup(c).then(function (d) {
      if (d) showCandidates(d);
    });
  }
  $("q").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  ["supplier", "county"].forEach(function (n) {
    $(n).addEventListener("change", search);
  });
})();

// A certification run's page follows the run live (server-sent events) and loads its report when it
// ends; without this script the page says to reload, and shows the same on each load.
(function () {
  "use strict";
  var box = document.querySelector("[data-events]");
  if (!box || !window.EventSource) return;
  box.querySelectorAll("[data-no-script]").forEach(function (el) {
    el.hidden = true;
  });
  var JOB = { queued: ["排队中", "warn"], running: ["进行中", "warn"], passed: ["通过", "ok"], failed: ["未通过", "bad"], interrupted: ["已中断", "bad"] };
  var STEP = { running: ["进行中", "warn"], passed: ["通过", "ok"], failed: ["未通过", "bad"], warning: ["提示", "warn"], not_implemented: ["未实现", ""] };
  function badge(pair, fallback) {
    var b = document.createElement("span");
    b.className = "badge " + (pair ? pair[1] : "");
    b.textContent = pair ? pair[0] : fallback;
    return b;
  }
  var status = box.querySelector("[data-status]");
  var list = box.querySelector("[data-modules]");
  var events = new EventSource(box.getAttribute("data-events"));
  events.addEventListener("progress", function (e) {
    var run = JSON.parse(e.data);
    status.replaceChildren(badge(JOB[run.status], run.status));
    list.replaceChildren.apply(
      list,
      run.progress.map(function (m) {
        var li = document.createElement("li");
        li.setAttribute("data-module", m.id);
        li.append(m.title + " ", badge(STEP[m.status], m.status));
        return li;
      }),
    );
  });
  events.addEventListener("done", function () {
    events.close();
    window.location.reload();
  });
})();
