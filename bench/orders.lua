-- wrk script: POST realistic KDS orders, each with a unique id (thread, counter, run nonce).
local counter = 0

local threads = {}
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local items = [[
[{"lineId":"1","id":"burger-1","name":"Hamburger","qty":1,"price":"$11.50","mods":[{"id":"m1","name":"No Onion","qty":1},{"id":"m2","name":"Extra Cheese","qty":2}],"course":"Course 1","seat":"Seat 1","courseStatus":"fire","specialInstructions":"Medium rare"},
 {"lineId":"2","name":"Fries","qty":2,"price":"$3.50","mods":["Cajun"],"course":"Course 1","seat":"Seat 1","courseStatus":"fire"},
 {"lineId":"3","name":"Caesar Salad","qty":1,"price":"$9.00","mods":[{"name":"No Croutons"}],"course":"1","seat":"Seat 2","courseStatus":"fire"},
 {"lineId":"4","name":"Ribeye","qty":1,"price":"$32.00","mods":[{"name":"Medium"},{"name":"Side Mash"}],"course":"Course 2","seat":"Seat 2","courseStatus":"hold"},
 {"lineId":"5","name":"Vanilla Shake","qty":1,"price":"$5.00","mods":[],"course":"Course 2","seat":"Seat 1","courseStatus":"hold"}]
]]

function request()
  counter = counter + 1
  local id = string.format("%s-%d-%d", nonce, thread_id, counter)
  local body = string.format(
    '{"id":"%s","name":"Guest %d","time":"2026-11-24T12:00:00.000Z","mode":"For Here","server":"Sam",' ..
    '"terminal":"POS-2","checkNumber":"%d","covers":2,"costs":{"subtotal":"$64.50","tax":"$5.16","total":"$69.66"},' ..
    '"items":%s}', id, counter, counter, items)
  return wrk.format("POST", "/integrators/kds-orders", nil, body)
end
