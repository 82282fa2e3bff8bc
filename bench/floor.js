// The floor of this job, for `npm run bench`: the least a page can run to get its offers, as an async script of
// its own. It reads the visitor id from the _td cookie (or makes one), builds the body and posts it: no checks,
// no retries, no consent, no rendering, no events. No tag can cost the main thread less before its request.
(function (script) {
  var api = script.getAttribute('data-api');
  var uuid = function () {
    return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  };
  var id = (document.cookie.match(/(?:^|; )_td=([^;]*)/) || [])[1];
  if (!id) document.cookie = '_td=' + (id = uuid()) + '; path=/; max-age=34560000; SameSite=Lax';
  var body = { td_client_id: id, td_url: location.href.split('#')[0], td_path: location.pathname, td_title: document.title,
    td_referrer: document.referrer, time: Math.floor(Date.now() / 1000), uuid: uuid(), bench_n: 1 };
  fetch(api + '/public/demo_db/pageviews', {
    method: 'POST', mode: 'cors', credentials: 'omit', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/vnd.treasuredata.v1+json', Accept: 'application/vnd.treasuredata.v1+json',
      Authorization: 'TD1 ' + script.getAttribute('data-key'), 'WP13n-Token': script.getAttribute('data-token') },
  });
})(document.currentScript);
