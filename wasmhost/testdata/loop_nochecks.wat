;; loop.wat exporting a name the stop checks need (fresco:stop): the
;; rewrite cannot add them, so the module runs without a snapshot and is
;; stopped by wazero's WithCloseOnContextDone instead.
(module
  (memory (export "memory") 1)
  (func (export "fresco:stop"))
  (func (export "fresco_handle")
    (loop $forever (br $forever))))
