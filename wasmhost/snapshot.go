package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/frescolabs/fresco/internal/abi"
	"github.com/frescolabs/fresco/internal/invoke"
	"github.com/frescolabs/fresco/internal/tailbuf"
	"github.com/frescolabs/fresco/internal/wasmbin"
)

// A snapshot is a function's pre-initialised image: its linear memory and
// mutable globals as they stand after the guest's one-time init, taken once
// at load. Every invocation of the function starts from the image, on an
// instance that is either made from it or reset to it, so the guest's init
// (for Go: the runtime and every package's init, seconds of CPU per
// thousand invocations) never runs again.
//
// What makes this safe is in RATIONALE.md ("Pre-initialised snapshots"):
// in short, an instance is reused only if everything a guest can observe is
// restored to the image (linear memory byte for byte and its size, every
// mutable global, the tables, which the module cannot change, and WASI
// state, which the guest did not touch), and anything else is discarded.
type snapshot struct {
	f *Module
	// mem and globals are the image. mem is never written after load.
	mem []byte
	// image, when set, is mem's sealed file, which new instances map
	// copy-on-write (shareImage); mem is then its read-only mapping.
	image   *imageFile
	globals []uint64
	// names and types of the exported mutable globals, in the order of
	// globals.
	names []string
	types []byte
	// wide is the image of the v128 globals, both halves of each, in the
	// order of wasmbin.SnapshotModule.V128; api.MutableGlobal sees only
	// their low halves, so they are read and written through the
	// accessors the rewrite exports. v128 lists their indexes in globals,
	// and isV128 marks them.
	wide   []uint64
	v128   []int
	isV128 []bool

	// InitLog is the guest's output during the snapshot's init, and
	// InitDuration how long the init took.
	initLog      []byte
	initDuration time.Duration

	// ready holds instances at the image, waiting for an invocation.
	ready *readyStack
	// resetting counts instances being reset in the background; a caller
	// that finds ready empty waits for one of them rather than making a
	// new instance, which costs far more than a reset.
	resetting atomic.Int32
	// busy counts instances handed to invocations and not yet back;
	// makeCost is what making one took lately (ns, a moving average).
	busy     atomic.Int32
	makeCost atomic.Int64
	// resets tracks the background resets, which close waits for: a reset
	// must not write to a memory that closing the runtime gave back to the
	// pool.
	resets sync.WaitGroup

	// verify compares every reset instance with the image (Config.VerifyResets).
	verify bool
	// lastUsed is when an invocation last took an instance (UnixNano); the
	// trimmer lets a function that has been idle keep only idleKeep ready
	// instances. stop ends the trimmer.
	lastUsed atomic.Int64
	stop     chan struct{}
	// Counters for tests and the bench program.
	made, reused, discarded atomic.Int64

	// The dirty-page resets (reset.go): the hot set once learnt, and
	// while learning, how many resets wrote each page.
	hot      atomic.Pointer[hotSet]
	learnMu  sync.Mutex
	seen     []uint8
	learnt   int
	stats    resetStats
	trackErr sync.Once
}

// instance is one instance of a snapshot function. One invocation at a time
// uses it; its output and sleep follow that invocation through its fields.
type instance struct {
	mod     api.Module
	mem     api.Memory
	globals []api.MutableGlobal
	// getV128 and setV128 read and write the v128 globals (nil: none),
	// through wide, a buffer of their size.
	getV128, setV128 api.Function
	wide             []uint64
	handle           api.Function // fresco_handle
	out              switchWriter
	// stop stops the guest, and ends its sleeps.
	stop *stopper
	// pages tracks the pages the guest writes (nil: resets copy the whole
	// image); hotApplied says the hot set is unprotected.
	pages      *dirtyPages
	hotApplied bool
	// mapped: the instance's memory was just made the image's mapping
	// (copy-on-write), so its first restore copies nothing.
	mapped bool
	// box is the instance's /tmp and the count of what the host holds
	// for it; the reset empties both.
	box sandbox
	// charged is what the instance counts against the ready budget while
	// it is ready; own its last count of the memory it holds, at its
	// pushes-th push (readyCharge).
	charged, own int64
	pushes       int
}

// switchWriter writes to w, which is set per invocation (nil: discard).
type switchWriter struct {
	w interface{ Write([]byte) (int, error) }
}

func (s *switchWriter) Write(p []byte) (int, error) {
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

// readyInstances bounds the idle instances a snapshot function keeps: as
// many as a busy function has in flight at once (32 concurrent clients in
// the benchmark), so that a burst does not keep discarding instances and
// making new ones, which for a Go guest costs milliseconds each. Each
// holds its own pages (a few MB for a Go guest sharing its image, a whole
// image's copy otherwise), within the host's budget (readyCharge).
const readyInstances = 32

// readyCharge is what in counts against the host's ready budget: the
// memory it holds of its own. An instance that maps the shared image
// copy-on-write holds the pages it has written, counted by a scan of its
// page table (a few µs) at its pushes 1, 2, 4, ... 64 and every 64th
// after (an instance gains its pages in its first invocations; between
// two counts it gains only the pages new to it), plus instanceOverhead;
// any other holds a copy of the whole image.
func (s *snapshot) readyCharge(in *instance) int64 {
	full := int64(len(s.mem))
	if s.image == nil || in.pages == nil {
		return full
	}
	in.pushes++
	if n := in.pushes; n&(n-1) == 0 && n <= ownRecount || n%ownRecount == 0 {
		own, err := in.pages.private()
		if err != nil {
			return full
		}
		in.own = min(full, int64(own)+instanceOverhead)
	}
	return in.own
}

// ownRecount: past its first pushes, readyCharge counts an instance's
// pages every this many.
const ownRecount = 64

// instanceOverhead is what a ready instance is counted for besides its
// own pages: its module instance, tables and globals in wazero, its call
// stack, the page tables of its mapping. scripts/bench measures a Go
// guest's ready instance at ~2.7 MB resident, of which 172 KB are its own
// pages and some the image's shared pages it maps: 2 MB errs on the side
// of the budget.
const instanceOverhead = 2 << 20

// takeSnapshot runs the guest's init once in an instance of f and takes its
// image. The module must be f.compiled, the binary rewritten to export its
// mutable globals (sm).
func (f *Module) takeSnapshot(ctx context.Context, sm *wasmbin.SnapshotModule) (*snapshot, error) {
	s := &snapshot{f: f, verify: f.host.verifyResets}
	s.isV128 = make([]bool, len(sm.Globals))
	for _, g := range sm.Globals {
		s.names = append(s.names, g.Name)
		s.types = append(s.types, g.Type)
	}
	s.v128 = sm.V128
	for _, i := range sm.V128 {
		s.isV128[i] = true
	}
	inv := abi.New(&invoke.Request{RequestID: "snapshot"})
	ictx, cancel := context.WithTimeout(abi.With(ctx, inv), f.host.initTimeout)
	defer cancel()
	log := tailbuf.New(f.cfg.MaxLogBytes)
	start := time.Now()
	in, err := s.instantiate(ictx)
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	// What making an instance will cost, until one is made: instantiating,
	// then as much again for the image's copy and the tracking.
	s.makeCost.Store(2 * int64(time.Since(start)))
	in.out.w = log
	mod := in.mod
	ok := false
	defer func() {
		if !ok {
			mod.Close(context.Background())
		}
	}()
	inv.Stop = in.stop
	inv.Memory = in.box.mem
	err, why := guard(ictx, in.stop, start.Add(f.host.initTimeout), func() error {
		if err := f.callInit(ictx, mod, inv); err != nil || inv.InitError || !f.hasSnapshotHook {
			return err
		}
		_, err := mod.ExportedFunction("fresco_snapshot").Call(ictx)
		return err
	})
	// The image holds nothing of what host modules opened for the init.
	inv.End()
	switch {
	case why == stoppedDeadline:
		return nil, fmt.Errorf("%w after %v", errInitTimeout, f.host.initTimeout)
	case err != nil:
		return nil, fmt.Errorf("init: %w", err)
	case inv.InitError:
		return nil, fmt.Errorf("init error %s: %s", inv.ErrType, inv.ErrBody)
	}
	in.stop.clear()
	if inv.Tainted != "" {
		return nil, fmt.Errorf("init called %s, which changes WASI state an image cannot hold", inv.Tainted)
	}
	if inv.OpenFiles != 0 {
		return nil, fmt.Errorf("init left %d files open, which an image cannot hold", inv.OpenFiles)
	}
	// What init wrote to /tmp is not the invocations': they start with it
	// empty, as every instance reset to the image does.
	in.box.reset()
	if inv.Fault != nil {
		return nil, fmt.Errorf("init broke the ABI: %w", inv.Fault)
	}
	s.initDuration = time.Since(start)
	s.initLog = bytes.Clone(log.Bytes())
	buf, _ := in.mem.Read(0, in.mem.Size())
	s.mem = bytes.Clone(buf)
	s.shareImage()
	s.ready = newReadyStack(readyInstances, f.host.ready, s.readyCharge)
	for i, g := range in.globals {
		v := g.Get()
		if (s.types[i] == refFunc || s.types[i] == refExtern) && v != 0 {
			// A reference is an address in this instance: another
			// instance cannot be given it.
			return nil, fmt.Errorf("%w: global %s holds a non-null reference, which the image cannot carry to other instances", errRefGlobal, s.names[i])
		}
		s.globals = append(s.globals, v)
	}
	if in.getV128 != nil {
		if err := in.getV128.CallWithStack(ictx, in.wide); err != nil {
			return nil, fmt.Errorf("read the v128 globals: %w", err)
		}
		s.wide = slices.Clone(in.wide)
	}
	// The instance the image was taken from is at the image: it serves
	// the first invocation.
	in.out.w = nil
	if !s.ready.push(in) {
		in.close() // the host's ready instances are at their budget
	}
	ok = true
	return s, nil
}

// get returns an instance at the image: a ready one, one being reset, or a
// new one, and how long making a new one took. Waiting for an init slot
// to make one ends at deadline.
func (s *snapshot) get(ctx context.Context, now, deadline time.Time) (*instance, time.Duration, error) {
	s.lastUsed.Store(now.UnixNano())
	in, took, err := s.take(ctx, deadline)
	if err == nil {
		s.busy.Add(1)
	}
	return in, took, err
}

func (s *snapshot) take(ctx context.Context, deadline time.Time) (*instance, time.Duration, error) {
	if in := s.ready.pop(); in != nil {
		s.reused.Add(1)
		return in, 0, nil
	}
	for s.resetting.Load() > 0 || int(s.busy.Load()) >= s.f.host.procs {
		// Every core already runs an invocation of this function, or an
		// instance is being reset: one will be back soon (a Go Hello
		// invocation takes tens of microseconds, a reset a few, a full
		// copy well under a millisecond), and making an instance would
		// cost milliseconds of the cores they need. So wait for one, as
		// long as making one takes, within the deadline; waiters are
		// served in turn. Past that, make one if an init slot is free,
		// else go on waiting: queueing behind other inits would take
		// longer than an invocation in flight.
		wait := min(max(resetWait, time.Duration(s.makeCost.Load())), time.Until(deadline))
		if wait <= 0 {
			return nil, 0, errWaitTimeout
		}
		if in := s.ready.wait(ctx, wait); in != nil {
			s.reused.Add(1)
			return in, 0, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		if s.f.host.initSlotFree() {
			break
		}
	}
	start := time.Now()
	in, err := s.newInstance(ctx, deadline)
	took := time.Since(start)
	if err == nil {
		if old := s.makeCost.Load(); old == 0 {
			s.makeCost.Store(int64(took))
		} else {
			s.makeCost.Store(old + (int64(took)-old)/4)
		}
	}
	return in, took, err
}

// resetWait is the least get waits for an instance in use before it
// makes a new one.
const resetWait = 20 * time.Millisecond

// newInstance makes an instance at the image: it instantiates the module
// (running no guest code), then writes the image over its memory and
// globals.
func (s *snapshot) newInstance(ctx context.Context, deadline time.Time) (*instance, error) {
	f := s.f
	if err := f.host.acquireInitSlot(ctx, deadline); err != nil {
		return nil, err
	}
	defer func() { <-f.host.initSlots }()
	in, err := s.instantiate(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	mod := in.mod
	pages := uint32(len(s.mem) >> 16)
	if cur := in.mem.Size() >> 16; cur < pages {
		if _, ok := in.mem.Grow(pages - cur); !ok {
			mod.Close(ctx)
			return nil, fmt.Errorf("cannot grow memory to the image's %d pages", pages)
		}
	}
	if s.image != nil {
		if buf, ok := in.mem.Read(0, uint32(len(s.mem))); ok {
			in.mapped = f.host.memory.(imageMapper).mapImage(buf, s.image)
		}
	}
	if !s.restore(in) {
		mod.Close(ctx)
		return nil, fmt.Errorf("instance memory does not match the image's size")
	}
	s.made.Add(1)
	return in, nil
}

// imageMapper is a memory allocator that can map an image over one of
// its memories (memoryPool).
type imageMapper interface {
	mapImage(buf []byte, img *imageFile) bool
}

// shareImage moves the image into a sealed file that new instances map
// copy-on-write (image_linux.go), where resets track written pages (an
// instance then keeps its own copy of the pages it wrote only) and the
// memory allocator can map it. The file is closed when the snapshot is
// garbage: an invocation still running when the function closes may reset
// its instance from the image.
func (s *snapshot) shareImage() {
	host := s.f.host
	if _, ok := host.memory.(imageMapper); !ok || !host.dirty || len(s.mem) <= trackAbove {
		return
	}
	img, err := newImageFile(s.f.cfg.Name, s.mem)
	if err != nil {
		host.logger.Warn("instances copy the image rather than share it", "function", s.f.cfg.Name, "error", err.Error())
		return
	}
	s.image, s.mem = img, img.mem
	runtime.AddCleanup(s, func(img *imageFile) { img.close() }, img)
}

// instantiate makes an instance of the function's module, at the state
// instantiation leaves it in: data segments copied, no guest code run.
func (s *snapshot) instantiate(ctx context.Context) (*instance, error) {
	f := s.f
	in := &instance{}
	var cfg wazero.ModuleConfig
	in.box, cfg = f.newSandbox(f.baseConfig)
	cfg = cfg.WithStdout(&in.out).WithStderr(&in.out).
		WithNanosleep(func(ns int64) { in.stop.sleep(ns) })
	if f.host.memory != nil {
		ctx = experimental.WithMemoryAllocator(ctx, f.host.memory)
	}
	mod, err := f.runtime.InstantiateModule(ctx, f.compiled, cfg)
	if err != nil {
		return nil, err
	}
	in.mod, in.mem, in.handle = mod, mod.Memory(), mod.ExportedFunction("fresco_handle")
	in.box.mem.Memory = in.mem
	in.stop = f.stopperOf(mod)
	for _, name := range s.names {
		g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			mod.Close(ctx)
			return nil, fmt.Errorf("global %s is not an exported mutable global", name)
		}
		in.globals = append(in.globals, g)
	}
	if len(s.v128) > 0 {
		in.getV128, in.setV128 = mod.ExportedFunction(wasmbin.V128GetExport), mod.ExportedFunction(wasmbin.V128SetExport)
		if in.getV128 == nil || in.setV128 == nil {
			mod.Close(ctx)
			return nil, errors.New("the accessors of the v128 globals are not exported")
		}
		in.wide = make([]uint64, 2*len(s.v128))
	}
	return in, nil
}

// restore writes the image over in's memory and globals. It reports false
// when in cannot be brought back to the image: its memory grew (wasm memory
// cannot shrink) or the module is closed.
func (s *snapshot) restore(in *instance) bool {
	if in.mod.IsClosed() || in.mem.Size() != uint32(len(s.mem)) {
		return false
	}
	buf, ok := in.mem.Read(0, uint32(len(s.mem)))
	if !ok {
		return false
	}
	s.restoreMemory(in, buf)
	in.box.reset()
	in.stop.clear()
	for i, g := range in.globals {
		if !s.isV128[i] {
			g.Set(s.globals[i])
		}
	}
	if in.setV128 != nil {
		copy(in.wide, s.wide)
		if err := in.setV128.CallWithStack(context.Background(), in.wide); err != nil {
			return false
		}
	}
	return true
}

// matches reports whether in is byte for byte at the image: the memory's
// size and contents and every global, read back through the guest's view.
func (s *snapshot) matches(in *instance) error {
	if got := in.mem.Size(); got != uint32(len(s.mem)) {
		return fmt.Errorf("memory is %d bytes, the image %d", got, len(s.mem))
	}
	buf, _ := in.mem.Read(0, in.mem.Size())
	if !bytes.Equal(buf, s.mem) {
		i := 0
		for i < len(buf) && buf[i] == s.mem[i] {
			i++
		}
		return fmt.Errorf("memory differs from the image at byte %d", i)
	}
	for i, g := range in.globals {
		if g.Get() != s.globals[i] {
			return fmt.Errorf("global %s is %#x, the image %#x", s.names[i], g.Get(), s.globals[i])
		}
	}
	if !in.stop.isClear() {
		return errors.New("the stop global is set")
	}
	if in.getV128 == nil {
		return nil
	}
	if err := in.getV128.CallWithStack(context.Background(), in.wide); err != nil {
		return fmt.Errorf("read the v128 globals: %w", err)
	}
	for j, i := range s.v128 {
		if got, want := in.wide[2*j:2*j+2], s.wide[2*j:2*j+2]; !slices.Equal(got, want) {
			return fmt.Errorf("global %s (v128) is %#x, the image %#x", s.names[i], got, want)
		}
	}
	return nil
}

// Types of the reference globals (wasmbin.Global.Type).
const (
	refFunc   = 0x70
	refExtern = 0x6F
)

// put takes in back after an invocation. An instance that can be reset is
// reset in the background and made ready; any other is discarded.
func (s *snapshot) put(in *instance, reusable bool) {
	s.busy.Add(-1)
	in.out.w = nil
	if !reusable {
		s.discard(in)
		return
	}
	if len(s.mem) <= resetInline || in.pages != nil {
		s.reset(in)
		return
	}
	s.resetting.Add(1)
	s.resets.Add(1)
	go func() {
		defer s.resets.Done()
		defer s.resetting.Add(-1)
		s.reset(in)
	}()
}

// resetInline is the image size up to which an instance is reset by the
// invocation that used it, after its result is made: copying a few pages
// costs less than handing the work to another goroutine. So is an
// instance whose written pages are tracked, whatever its size. Larger
// images are reset in the background, so the invocation's caller does not
// wait for the copy.
const resetInline = 256 << 10

// reset brings in back to the image and makes it ready, or discards it.
func (s *snapshot) reset(in *instance) {
	if !s.restore(in) {
		s.discard(in)
		return
	}
	if s.verify {
		if err := s.matches(in); err != nil {
			// A bug of fresco's, not of the guest's: never serve from it.
			panic(fmt.Sprintf("fresco: function %s: reset instance is not at the image: %v", s.f.cfg.Name, err))
		}
	}
	if !s.ready.push(in) {
		s.discard(in)
	}
}

func (s *snapshot) discard(in *instance) {
	s.discarded.Add(1)
	in.close()
}

// A function idle for idleAfter keeps idleKeep ready instances: a burst
// leaves up to readyInstances behind, each holding an image's worth of
// resident memory, which an idle server should give back.
const (
	idleAfter = time.Minute
	idleKeep  = 1
)

// startTrimmer trims the ready instances of an idle function, until close.
func (s *snapshot) startTrimmer() {
	s.stop = make(chan struct{})
	s.lastUsed.Store(time.Now().UnixNano())
	go func() {
		t := time.NewTicker(idleAfter / 4)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				s.trim(now)
			case <-s.stop:
				return
			}
		}
	}()
}

// trim discards ready instances beyond idleKeep if the function has been
// idle for idleAfter at now, and returns how many.
func (s *snapshot) trim(now time.Time) int {
	if now.Sub(time.Unix(0, s.lastUsed.Load())) < idleAfter {
		return 0
	}
	n := 0
	for s.ready.len() > idleKeep {
		in := s.ready.pop()
		if in == nil {
			break
		}
		s.discard(in)
		n++
	}
	if n > 0 {
		s.f.host.giveBackMemory()
	}
	return n
}

// close stops the trimmer, waits for the resets in flight and discards the
// ready instances.
func (s *snapshot) close() {
	if s.stop != nil {
		close(s.stop)
	}
	s.resets.Wait()
	for in := s.ready.pop(); in != nil; in = s.ready.pop() {
		in.close()
	}
}

// resetWatch watches the calls of a host module that keep an instance from
// being reset to its image (abi.Module.Resettable reports false for them):
// a call to one taints the calling invocation, and its instance is
// discarded rather than reset. The others get no listener and cost nothing.
type resetWatch func(name string) bool

func (w resetWatch) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	names := def.ExportNames()
	if len(names) == 0 || w(names[0]) {
		return nil
	}
	return taintListener(names[0])
}

// watchFactory gives each function of a host module the listener its
// Watch returns (abi.Module.Watch).
type watchFactory func(name string) experimental.FunctionListener

func (w watchFactory) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	names := def.ExportNames()
	if len(names) == 0 {
		return nil
	}
	return w(names[0])
}

// taintListener marks the calling invocation tainted.
type taintListener string

func (l taintListener) Before(ctx context.Context, _ api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	abi.From(ctx).Taint(string(l))
}

func (taintListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}

func (taintListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {}
