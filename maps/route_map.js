/* The route map's panel, inlined into the page by maps.route_map (Leaflet's public API only).
 *
 * Routes start hidden: the officer picks a session (AM, PM), all, none, a group or one route, or
 * types in the filter (route, pupil, postcode or school) and shows what matches. Groups fold.
 * Clicking a route's name shows it, zooms to it and dims the other routes shown.
 */
function sendRoutesPanel(map, groups, prompt) {
  // room for the panel on the right and the legend at the bottom left
  var FIT = {paddingTopLeft: [40, 40], paddingBottomRight: [360, 40], animate: false};
  var items = [];
  var control = L.control({position: 'topright'});
  var hint = L.control({position: 'topleft'});
  var count, hintDiv;

  function shown(it) { return map.hasLayer(it.layer); }
  function show(it, on) {
    if (on && !shown(it)) { map.addLayer(it.layer); }
    if (!on && shown(it)) { map.removeLayer(it.layer); }
    it.box.checked = on;
  }
  function refresh() {
    var routes = items.filter(function(it) { return it.route; });
    var n = routes.filter(shown).length;
    count.textContent = n + ' of ' + routes.length + ' routes shown';
    hintDiv.style.display = n ? 'none' : '';
    groups.forEach(function(g) {
      var on = g.items.filter(shown).length;
      g.all.checked = on > 0 && on === g.items.length;
      g.all.indeterminate = on > 0 && on < g.items.length;
    });
  }
  function dim(focus) {
    // the focused route at full strength, every other route faint; no focus: all as drawn
    items.forEach(function(it) {
      if (!it.route) { return; }
      var strength = (!focus || it === focus) ? 1 : 0.2;
      it.layer.eachLayer(function(l) {
        if (l.setStyle) { l.setStyle({opacity: 0.85 * strength}); }
        if (l.setOpacity) { l.setOpacity(strength); }
      });
    });
  }
  function only(test) {
    dim(null);
    items.forEach(function(it) { if (it.route) { show(it, test(it)); } });
    refresh();
  }
  function button(parent, text, title, action) {
    var b = L.DomUtil.create('button', 'panel-btn', parent);
    b.type = 'button'; b.textContent = text; b.title = title;
    b.setAttribute('data-action', text);
    b.onclick = action;
    return b;
  }

  control.onAdd = function() {
    var div = L.DomUtil.create('div', 'route-panel');
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    var bar = L.DomUtil.create('div', 'panel-bar', div);
    button(bar, 'AM', 'Show the morning routes only', function() {
      only(function(it) { return it.session === 'AM'; });
    });
    button(bar, 'PM', 'Show the afternoon routes only', function() {
      only(function(it) { return it.session === 'PM'; });
    });
    button(bar, 'All', 'Show every route', function() { only(function() { return true; }); });
    button(bar, 'None', 'Hide every route', function() { only(function() { return false; }); });
    var search = L.DomUtil.create('input', 'panel-filter', div);
    search.type = 'search';
    search.placeholder = 'Filter: route, pupil, postcode, school';
    search.setAttribute('aria-label', 'Filter routes by route, pupil, postcode or school');
    var showMatches = button(div, 'Show matching routes only', 'Show only the routes listed',
      function() {
        only(function(it) { return it.label.style.display !== 'none'; });
        var bounds = null;
        items.forEach(function(it) {
          if (it.route && shown(it) && it.layer.getBounds) {
            var b = it.layer.getBounds();
            if (b.isValid()) {
              bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
            }
          }
        });
        if (bounds) { map.fitBounds(bounds, FIT); }
      });
    showMatches.className = 'panel-btn panel-wide';
    count = L.DomUtil.create('div', 'panel-count', div);
    groups.forEach(function(g) {
      var box = L.DomUtil.create('details', 'grp', div);
      g.details = box;
      if (!g.routes) { box.open = true; }
      var head = L.DomUtil.create('summary', '', box);
      g.all = L.DomUtil.create('input', '', head);
      g.all.type = 'checkbox';
      head.appendChild(document.createTextNode(' ' + g.name + ' (' + g.items.length + ')'));
      g.items.forEach(function(it) {
        var lab = L.DomUtil.create('label', '', box);
        it.box = L.DomUtil.create('input', '', lab);
        it.box.type = 'checkbox';
        var sw = L.DomUtil.create('span', 'swatch', lab);
        sw.style.borderTopColor = it.color;
        if (it.dashed) { sw.style.borderTopStyle = 'dashed'; }
        var name = L.DomUtil.create('span', 'route-name', lab);
        name.textContent = it.label;
        it.label = lab;
        it.route = g.routes;
        it.session = g.session;
        it.text = (it.text || '').toLowerCase();
        it.box.onchange = function() { show(it, it.box.checked); refresh(); };
        if (it.route) {
          name.title = 'Show this route and zoom to it';
          name.onclick = function(e) {
            e.preventDefault();
            show(it, true); refresh(); dim(it);
            var b = it.layer.getBounds ? it.layer.getBounds() : null;
            if (b && b.isValid()) { map.fitBounds(b, FIT); }
          };
        }
        items.push(it);
        show(it, !!it.initial);
      });
      g.all.onchange = function() {
        var on = g.all.checked;
        g.items.forEach(function(it) {
          if (it.label.style.display !== 'none') { show(it, on); }
        });
        refresh();
      };
    });
    search.oninput = function() {
      var q = search.value.trim().toLowerCase();
      groups.forEach(function(g) {
        var any = false;
        g.items.forEach(function(it) {
          var match = !q || !it.route || it.text.indexOf(q) >= 0;
          it.label.style.display = match ? '' : 'none';
          any = any || (match && it.route);
        });
        if (g.routes) {
          g.details.style.display = (!q || any) ? '' : 'none';
          g.details.open = !!q && any;
        }
      });
    };
    search.onkeydown = function(e) { if (e.key === 'Enter') { showMatches.onclick(); } };
    return div;
  };
  hint.onAdd = function() {
    hintDiv = L.DomUtil.create('div', 'map-prompt');
    hintDiv.textContent = prompt;
    return hintDiv;
  };
  hint.addTo(map);
  control.addTo(map);
  refresh();
  return {only: only, items: items};
}
