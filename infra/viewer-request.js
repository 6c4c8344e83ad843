// CloudFront Function (runtime cloudfront-js-2.0) on every viewer request, for the site and its
// previews: S3 serves files, not folders, and the site has one address per page.
// - www.<domain>/... redirects to <domain>/... (301);
// - /about-us/ is served from /about-us/index.html;
// - /about-us redirects to /about-us/ (301). A last part with a dot (site.css, all.atom.xml) is a
//   file: page slugs never hold a dot (Pelican's slugify drops it), folders above them may.
// Redirects keep the query string (newsletter links carry utm_ parameters).
// `invoke infra` copies this file into infra/hosting.yaml; tests/test_hosting.py runs it in Node.

function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var host = request.headers.host ? request.headers.host.value : '';
  var path = uri;
  if (!uri.endsWith('/') && uri.split('/').pop().indexOf('.') === -1) {
    path = uri + '/';
  }
  if (host.startsWith('www.')) {
    return redirect('https://' + host.slice(4) + path + query(request.querystring));
  }
  if (path !== uri) {
    return redirect(path + query(request.querystring));
  }
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  }
  return request;
}

// CloudFront hands the query string over parsed, each value as the viewer sent it
// (still percent-encoded), a repeated name with all its values in multiValue.
function query(querystring) {
  var parts = [];
  Object.keys(querystring).forEach(function (name) {
    var parameter = querystring[name];
    (parameter.multiValue || [parameter]).forEach(function (each) {
      parts.push(each.value === '' ? name : name + '=' + each.value);
    });
  });
  return parts.length ? '?' + parts.join('&') : '';
}

function redirect(location) {
  return {
    statusCode: 301,
    statusDescription: 'Moved Permanently',
    headers: { location: { value: location } },
  };
}
