// Mounts GraphiQL on the page served at /graphql. It is a file rather than an inline script
// because the page's Content-Security-Policy runs only same-origin script files.
(function () {
  'use strict';
  // The page's own URL is the endpoint, so this works behind a path prefix too.
  var endpoint = window.location.pathname;

  // Every request is a JSON POST carrying the headers typed into GraphiQL's header editor,
  // for example {"Authorization": "Bearer <token>"}. Cookies are never sent.
  function fetcher(params, options) {
    var headers = {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json'
    };
    var extra = (options && options.headers) || {};
    Object.keys(extra).forEach(function (name) {
      headers[name] = String(extra[name]);
    });
    return fetch(endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'omit'
    }).then(function (res) {
      return res.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return { errors: [{ message: 'HTTP ' + res.status + ': ' + text }] };
        }
      });
    });
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      // Tokens typed into the header editor stay in this tab, not in local storage.
      shouldPersistHeaders: false
    })
  );
})();
