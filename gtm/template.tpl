___TERMS_OF_SERVICE___

By creating or modifying this file you agree to Google Tag Manager's Community
Template Gallery Developer Terms of Service available at
https://developers.google.com/tag-manager/gallery-tos (or such other URL as
Google may provide), as modified from time to time.


___INFO___

{
  "type": "TAG",
  "id": "cvt_temp_public_id",
  "version": 1,
  "securityGroups": [],
  "displayName": "Treasure Data Personalization (p13n-tag)",
  "categories": [
    "PERSONALIZATION",
    "ANALYTICS"
  ],
  "brand": {
    "id": "brand_dummy",
    "displayName": "p13n-tag"
  },
  "description": "Sends each page view to the Treasure Data Personalization API and hands the offers to the page (p13n-tag). Consent from GTM's consent state, an IAB TCF CMP, or the page.",
  "containerContexts": [
    "WEB"
  ]
}


___TEMPLATE_PARAMETERS___

[
  {
    "type": "TEXT",
    "name": "bundleUrl",
    "displayName": "Bundle URL (dist/p13n.min.js)",
    "simpleValueType": true,
    "valueValidators": [
      {
        "type": "NON_EMPTY"
      },
      {
        "type": "REGEX",
        "args": [
          "^https://.*"
        ]
      }
    ],
    "defaultValue": "https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js",
    "help": "Where the tag's core is served; its modules load from the same folder. Serving it elsewhere: add that URL to the template's \"Injects scripts\" permission."
  },
  {
    "type": "TEXT",
    "name": "database",
    "displayName": "Database",
    "simpleValueType": true,
    "valueValidators": [
      {
        "type": "NON_EMPTY"
      }
    ]
  },
  {
    "type": "TEXT",
    "name": "table",
    "displayName": "Table",
    "simpleValueType": true,
    "valueValidators": [
      {
        "type": "NON_EMPTY"
      }
    ]
  },
  {
    "type": "RADIO",
    "name": "connection",
    "displayName": "Connection",
    "defaultValue": "direct",
    "simpleValueType": true,
    "radioItems": [
      {
        "value": "direct",
        "displayValue": "Direct to the regional API (key and token in the page)",
        "subParams": [
          {
            "type": "SELECT",
            "name": "region",
            "displayName": "Region",
            "defaultValue": "us01",
            "simpleValueType": true,
            "selectItems": [
              {
                "value": "us01",
                "displayValue": "us01"
              },
              {
                "value": "eu01",
                "displayValue": "eu01"
              },
              {
                "value": "ap01",
                "displayValue": "ap01"
              },
              {
                "value": "ap03",
                "displayValue": "ap03"
              }
            ]
          },
          {
            "type": "TEXT",
            "name": "endpoint",
            "displayName": "Endpoint (instead of the region, optional)",
            "simpleValueType": true
          },
          {
            "type": "TEXT",
            "name": "apiKey",
            "displayName": "API key (write-only, for the Personalization API)",
            "simpleValueType": true,
            "valueValidators": [
              {
                "type": "NON_EMPTY"
              }
            ]
          },
          {
            "type": "TEXT",
            "name": "token",
            "displayName": "Personalization token",
            "simpleValueType": true,
            "valueValidators": [
              {
                "type": "NON_EMPTY"
              }
            ]
          }
        ]
      },
      {
        "value": "proxy",
        "displayValue": "Through the first-party proxy (no key in the page)",
        "subParams": [
          {
            "type": "TEXT",
            "name": "proxyPath",
            "displayName": "Proxy path",
            "defaultValue": "/p13n",
            "simpleValueType": true,
            "valueValidators": [
              {
                "type": "NON_EMPTY"
              }
            ]
          }
        ]
      }
    ]
  },
  {
    "type": "SIMPLE_TABLE",
    "name": "attributes",
    "displayName": "Attributes sent with every request",
    "newRowButtonText": "Add attribute",
    "simpleTableColumns": [
      {
        "defaultValue": "",
        "displayName": "Name",
        "name": "name",
        "type": "TEXT",
        "isUnique": true,
        "valueValidators": [
          {
            "type": "NON_EMPTY"
          }
        ]
      },
      {
        "defaultValue": "",
        "displayName": "Value",
        "name": "value",
        "type": "TEXT"
      }
    ]
  },
  {
    "type": "CHECKBOX",
    "name": "spa",
    "checkboxText": "Single-page app: a page view for each route change",
    "simpleValueType": true
  },
  {
    "type": "CHECKBOX",
    "name": "measure",
    "checkboxText": "Measure viewable impressions, clicks and dismissals of the offers",
    "simpleValueType": true
  },
  {
    "type": "SELECT",
    "name": "consentSource",
    "displayName": "Consent",
    "defaultValue": "gtm",
    "simpleValueType": true,
    "selectItems": [
      {
        "value": "gtm",
        "displayValue": "GTM consent state (Consent Mode)"
      },
      {
        "value": "tcf",
        "displayValue": "IAB TCF CMP on the page (the tag reads it)"
      },
      {
        "value": "page",
        "displayValue": "The page calls p13n('consent', ...) itself"
      },
      {
        "value": "none",
        "displayValue": "None needed"
      }
    ]
  },
  {
    "type": "SELECT",
    "name": "consentType",
    "displayName": "Consent type to wait for",
    "defaultValue": "personalization_storage",
    "simpleValueType": true,
    "selectItems": [
      {
        "value": "ad_storage",
        "displayValue": "ad_storage"
      },
      {
        "value": "ad_user_data",
        "displayValue": "ad_user_data"
      },
      {
        "value": "ad_personalization",
        "displayValue": "ad_personalization"
      },
      {
        "value": "analytics_storage",
        "displayValue": "analytics_storage"
      },
      {
        "value": "functionality_storage",
        "displayValue": "functionality_storage"
      },
      {
        "value": "personalization_storage",
        "displayValue": "personalization_storage"
      },
      {
        "value": "security_storage",
        "displayValue": "security_storage"
      }
    ],
    "enablingConditions": [
      {
        "paramName": "consentSource",
        "paramValue": "gtm",
        "type": "EQUALS"
      }
    ]
  }
]


___SANDBOXED_JS_FOR_WEB_TEMPLATE___

// The template's sandboxed code (GTM runs it with `require` and `data`; no window, no `new`, no `this`):
// gtm/build.mjs puts it into gtm/template.tpl, gtm/lint.mjs checks every API it requires against the permissions.
const createArgumentsQueue = require('createArgumentsQueue');
const injectScript = require('injectScript');
const isConsentGranted = require('isConsentGranted');
const addConsentListener = require('addConsentListener');
const makeTableMap = require('makeTableMap');
const logToConsole = require('logToConsole');

// the queue the short snippet installs: calls made before the bundle is in wait in p13n.q, in order
const p13n = createArgumentsQueue('p13n', 'p13n.q');

const config = { database: data.database, table: data.table, spa: data.spa === true, measure: data.measure === true };
if (data.connection === 'proxy') {
  config.endpoint = data.proxyPath;
} else {
  config.apiKey = data.apiKey;
  config.token = data.token;
  if (data.endpoint) config.endpoint = data.endpoint;
  else config.region = data.region;
}
if (data.attributes && data.attributes.length) config.attributes = makeTableMap(data.attributes, 'name', 'value');

// consent: GTM's consent state (Consent Mode; pending until granted, following each change), the page's IAB TCF
// CMP (the tag reads it), the page's own p13n('consent', ...) calls (pending until then), or none needed
const consentType = data.consentType || 'personalization_storage';
if (data.consentSource === 'tcf') config.consent = 'tcf';
else if (data.consentSource === 'page') config.consent = 'pending';
else if (data.consentSource !== 'none') {
  config.consent = isConsentGranted(consentType) ? 'granted' : 'pending';
  addConsentListener(consentType, (type, granted) => {
    p13n('consent', granted ? 'granted' : 'denied');
  });
}

p13n('init', config);
injectScript(
  data.bundleUrl,
  data.gtmOnSuccess,
  () => {
    logToConsole('p13n-tag: the bundle did not load from', data.bundleUrl);
    data.gtmOnFailure();
  },
  'p13n-tag',
);


___WEB_PERMISSIONS___

[
  {
    "instance": {
      "key": {
        "publicId": "logging",
        "versionId": "1"
      },
      "param": [
        {
          "key": "environments",
          "value": {
            "type": 1,
            "string": "debug"
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "access_globals",
        "versionId": "1"
      },
      "param": [
        {
          "key": "keys",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "key"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  },
                  {
                    "type": 1,
                    "string": "execute"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "p13n"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "key"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  },
                  {
                    "type": 1,
                    "string": "execute"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "p13n.q"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "inject_script",
        "versionId": "1"
      },
      "param": [
        {
          "key": "urls",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 1,
                "string": "https://cdn.jsdelivr.net/npm/p13n-tag@*"
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "access_consent",
        "versionId": "1"
      },
      "param": [
        {
          "key": "consentTypes",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "ad_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "ad_user_data"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "ad_personalization"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "analytics_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "functionality_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "personalization_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              },
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "consentType"
                  },
                  {
                    "type": 1,
                    "string": "read"
                  },
                  {
                    "type": 1,
                    "string": "write"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "security_storage"
                  },
                  {
                    "type": 8,
                    "boolean": true
                  },
                  {
                    "type": 8,
                    "boolean": false
                  }
                ]
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  }
]


___TESTS___

scenarios:
- name: Loads the bundle and calls init with the direct connection
  code: |-
    const mockData = {
      bundleUrl: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js',
      database: 'shop_db', table: 'pageviews', connection: 'direct', region: 'eu01',
      apiKey: '1234/0123456789abcdef0123456789abcdef01234567', token: '1234/5/0123456789abcdef0123456789abcdef',
      consentSource: 'none'
    };
    let calls = [];
    mock('createArgumentsQueue', (fnKey, arrayKey) => (command, argument) => { calls.push([command, argument]); });
    mock('injectScript', (url, onSuccess) => { assertThat(url).isEqualTo(mockData.bundleUrl); onSuccess(); });
    runCode(mockData);
    assertApi('gtmOnSuccess').wasCalled();
    assertThat(calls[0][0]).isEqualTo('init');
    assertThat(calls[0][1].region).isEqualTo('eu01');
- name: Waits for GTM consent, then follows it
  code: |-
    const mockData = { bundleUrl: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js', database: 'shop_db', table: 'pageviews', connection: 'proxy', proxyPath: '/p13n', consentSource: 'gtm', consentType: 'personalization_storage' };
    let calls = [];
    let listener;
    mock('createArgumentsQueue', (fnKey, arrayKey) => (command, argument) => { calls.push([command, argument]); });
    mock('isConsentGranted', (type) => false);
    mock('addConsentListener', (type, callback) => { listener = callback; });
    mock('injectScript', (url, onSuccess) => onSuccess());
    runCode(mockData);
    assertThat(calls[0][1].consent).isEqualTo('pending');
    assertThat(calls[0][1].endpoint).isEqualTo('/p13n');
    listener('personalization_storage', true);
    assertThat(calls[1][0]).isEqualTo('consent');
    assertThat(calls[1][1]).isEqualTo('granted');
- name: Reports a bundle that does not load
  code: |-
    mock('createArgumentsQueue', (fnKey, arrayKey) => (command, argument) => {});
    mock('injectScript', (url, onSuccess, onFailure) => onFailure());
    runCode({ bundleUrl: 'https://cdn.jsdelivr.net/npm/p13n-tag@0.2.0/dist/p13n.min.js', database: 'd', table: 't', connection: 'proxy', proxyPath: '/p13n', consentSource: 'page' });
    assertApi('gtmOnFailure').wasCalled();


___NOTES___

Built by gtm/build.mjs from gtm/src/: edit those, not this file.
