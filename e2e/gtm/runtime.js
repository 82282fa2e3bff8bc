// GTM's sandboxed template APIs that gtm/src/code.js uses, implemented in a page as Google's documentation
// describes them (https://developers.google.com/tag-platform/tag-manager/templates/api), each checked at run time
// against the template's permissions as GTM checks them: a call they do not grant throws. What this cannot be is
// GTM itself: its sandbox's own JavaScript subset (gtm/lint.mjs checks that statically) and its editor's mocks.
// `matches` is GTM's URL match patterns as gtm/lint.mjs implements them, passed in by e2e/gtm.spec.ts: one
// implementation for the lint and this runtime, so the two cannot disagree on what a permission grants.
(function (matches) {
  /** The window value at a dotted path, and a setter for it. */
  function at(path) {
    var keys = path.split('.');
    var last = keys.pop();
    var owner = keys.reduce(function (object, key) {
      return object == null ? undefined : object[key];
    }, window);
    return {
      get: function () {
        return owner == null ? undefined : owner[last];
      },
      set: function (value) {
        if (owner == null) throw new Error('no object at ' + keys.join('.'));
        owner[last] = value;
      },
    };
  }

  /**
   * Runs the template's code with `data` (its fields, plus gtmOnSuccess and gtmOnFailure) under `granted`, the
   * permissions as gtm/lint.mjs decodes them. Consent starts as `consent` (type -> 'granted' | 'denied').
   */
  window.runTemplate = function (code, data, granted, consent) {
    var outcome = (window.gtmOutcome = { success: 0, failure: 0, denied: [] });
    var listeners = [];
    var injected = {};
    function refuse(what) {
      outcome.denied.push(what);
      throw new Error('permission denied: ' + what);
    }
    function global(key, need) {
      var entry = ((granted.access_globals || {}).keys || []).filter(function (e) {
        return e.key == key;
      })[0];
      need.forEach(function (right) {
        if (!entry || !entry[right]) refuse('access_globals ' + right + ' ' + key);
      });
    }
    function consentRead(type) {
      var ok = ((granted.access_consent || {}).consentTypes || []).some(function (e) {
        return e.consentType == type && e.read;
      });
      if (!ok) refuse('access_consent read ' + type);
    }
    // Consent Mode's state, as gtag('consent', 'update', ...) would change it
    window.gtmSetConsent = function (type, state) {
      var was = consent[type];
      consent[type] = state;
      if (was == state) return;
      listeners.forEach(function (listener) {
        if (listener.type == type) listener.callback(type, state == 'granted');
      });
    };
    var apis = {
      // "Creates a function in global scope, using fnKey (same semantics as createQueue), then an array in window
      // (if it doesn't already exist) using arrayKey. When the function is called, it pushes its arguments object
      // onto the array. The return value is the function created under fnKey."
      createArgumentsQueue: function (fnKey, arrayKey) {
        global(fnKey, ['read', 'write']);
        global(arrayKey, ['read', 'write']);
        var fn = at(fnKey);
        if (typeof fn.get() != 'function') {
          fn.set(function () {
            at(arrayKey).get().push(arguments);
          });
        }
        var queue = at(arrayKey);
        if (!queue.get()) queue.set([]);
        return fn.get();
      },
      // "Injects a script tag into the page to load the given URL asynchronously. onSuccess when it loaded, onFailure
      // when it failed. With cacheToken, a URL is requested once per page."
      injectScript: function (url, onSuccess, onFailure, cacheToken) {
        var ok = ((granted.inject_script || {}).urls || []).some(function (pattern) {
          return matches(url, pattern);
        });
        if (!ok) refuse('inject_script ' + url);
        var key = cacheToken ? cacheToken + ' ' + url : '';
        var script = key && injected[key];
        if (!script) {
          script = document.createElement('script');
          script.src = url;
          script.async = true;
          if (key) injected[key] = script;
          document.head.appendChild(script);
        }
        script.addEventListener('load', function () {
          onSuccess && onSuccess();
        });
        script.addEventListener('error', function () {
          onFailure && onFailure();
        });
      },
      // "Returns true if the specified consent type is granted."
      isConsentGranted: function (type) {
        consentRead(type);
        return consent[type] == 'granted';
      },
      // "Adds a listener invoked when the state of the consent type changes from denied to granted or the reverse."
      addConsentListener: function (type, callback) {
        consentRead(type);
        listeners.push({ type: type, callback: callback });
      },
      // "Converts a simple table value to a map: keyColumnName's values become keys of valueColumnName's values."
      makeTableMap: function (table, keyColumnName, valueColumnName) {
        var map = {};
        (table || []).forEach(function (row) {
          map[row[keyColumnName]] = row[valueColumnName];
        });
        return map;
      },
      logToConsole: function () {
        if (!granted.logging) refuse('logging');
        console.log.apply(console, arguments);
      },
    };
    function require(name) {
      if (!(name in apis)) throw new Error('require: no API named ' + name + ' in this runtime');
      return apis[name];
    }
    data.gtmOnSuccess = function () {
      outcome.success++;
    };
    data.gtmOnFailure = function () {
      outcome.failure++;
    };
    new Function('require', 'data', code)(require, data);
  };
})(window.gtmUrlMatches);
