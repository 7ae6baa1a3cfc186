;; Provides the global that globals.wat imports.
(module
  (global (export "g") i32 (i32.const 7)))
