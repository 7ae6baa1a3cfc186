package functions

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
)

// MemStore is a Store in memory: what a template seeds, gone with the
// process. It copies what it is given; what it returns shares its maps
// (Env, RoutingWeights) with the store, which never changes them in place,
// so a Lookup allocates no copy of them: callers treat them as read-only.
type MemStore struct {
	mu     sync.Mutex
	byName map[string]string // every name and other name -> Name
	fns    map[string]*memFunction
}

type memFunction struct {
	fn        Function
	versions  []Version // versions[0] is $LATEST, then 1, 2, ...
	published int       // the last number given, never reused
	aliases   map[string]Alias
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{byName: map[string]string{}, fns: map[string]*memFunction{}}
}

func (s *MemStore) CreateFunction(_ context.Context, fn Function, latest Version) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := append([]string{fn.Name}, fn.OtherNames...)
	for _, n := range names {
		if _, ok := s.byName[n]; ok {
			return fmt.Errorf("function %s: %w", n, ErrExists)
		}
	}
	for _, n := range names {
		s.byName[n] = fn.Name
	}
	fn.OtherNames = slices.Clone(fn.OtherNames)
	fn.Tags = maps.Clone(fn.Tags)
	latest.Function, latest.Version = fn.Name, LatestVersion
	s.fns[fn.Name] = &memFunction{fn: fn, versions: []Version{cloneVersion(latest)}, aliases: map[string]Alias{}}
	return nil
}

// get returns the function of any of its names; s.mu is held.
func (s *MemStore) get(name string) (*memFunction, error) {
	if canonical, ok := s.byName[name]; ok {
		return s.fns[canonical], nil
	}
	return nil, fmt.Errorf("function %s: %w", name, ErrNotFound)
}

func (s *MemStore) Function(_ context.Context, name string) (Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(name)
	if err != nil {
		return Function{}, err
	}
	fn := f.fn
	fn.OtherNames = slices.Clone(fn.OtherNames)
	return fn, nil
}

func (s *MemStore) Functions(_ context.Context) ([]Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Function, 0, len(s.fns))
	for _, name := range slices.Sorted(maps.Keys(s.fns)) {
		fn := s.fns[name].fn
		fn.OtherNames = slices.Clone(fn.OtherNames)
		out = append(out, fn)
	}
	return out, nil
}

func (s *MemStore) DeleteFunction(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(name)
	if err != nil {
		return err
	}
	delete(s.fns, f.fn.Name)
	delete(s.byName, f.fn.Name)
	for _, n := range f.fn.OtherNames {
		delete(s.byName, n)
	}
	return nil
}

func (s *MemStore) PutFunction(_ context.Context, fn Function) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(fn.Name)
	if err != nil {
		return err
	}
	fn.Name, fn.OtherNames = f.fn.Name, f.fn.OtherNames
	fn.Tags = maps.Clone(fn.Tags)
	f.fn = fn
	return nil
}

func (s *MemStore) DeleteVersion(_ context.Context, function, version string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(function)
	if err != nil {
		return err
	}
	for i, v := range f.versions {
		if i > 0 && v.Version == version {
			f.versions = slices.Delete(f.versions, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("version %s:%s: %w", function, version, ErrNotFound)
}

func (s *MemStore) PutLatest(_ context.Context, v Version) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(v.Function)
	if err != nil {
		return err
	}
	v.Function, v.Version = f.fn.Name, LatestVersion
	f.versions[0] = cloneVersion(v)
	return nil
}

func (s *MemStore) PublishVersion(_ context.Context, v Version) (Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(v.Function)
	if err != nil {
		return Version{}, err
	}
	f.published++
	v.Function, v.Version = f.fn.Name, strconv.Itoa(f.published)
	v = cloneVersion(v)
	f.versions = append(f.versions, v)
	return cloneVersion(v), nil
}

func (s *MemStore) Version(_ context.Context, function, version string) (Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(function)
	if err != nil {
		return Version{}, err
	}
	for _, v := range f.versions {
		if v.Version == version {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("version %s:%s: %w", function, version, ErrNotFound)
}

func (s *MemStore) Versions(_ context.Context, function string) ([]Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(function)
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(f.versions))
	for i, v := range f.versions {
		out[i] = cloneVersion(v)
	}
	return out, nil
}

func (s *MemStore) PutAlias(_ context.Context, a Alias) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(a.Function)
	if err != nil {
		return err
	}
	a.Function = f.fn.Name
	a.RoutingWeights = maps.Clone(a.RoutingWeights)
	f.aliases[a.Name] = a
	return nil
}

func (s *MemStore) Alias(_ context.Context, function, name string) (Alias, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(function)
	if err != nil {
		return Alias{}, err
	}
	a, ok := f.aliases[name]
	if !ok {
		return Alias{}, fmt.Errorf("alias %s:%s: %w", function, name, ErrNotFound)
	}
	return a, nil
}

func (s *MemStore) Aliases(_ context.Context, function string) ([]Alias, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(function)
	if err != nil {
		return nil, err
	}
	out := make([]Alias, 0, len(f.aliases))
	for _, name := range slices.Sorted(maps.Keys(f.aliases)) {
		a := f.aliases[name]
		a.RoutingWeights = maps.Clone(a.RoutingWeights)
		out = append(out, a)
	}
	return out, nil
}

func (s *MemStore) DeleteAlias(_ context.Context, function, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.get(function)
	if err != nil {
		return err
	}
	if _, ok := f.aliases[name]; !ok {
		return fmt.Errorf("alias %s:%s: %w", function, name, ErrNotFound)
	}
	delete(f.aliases, name)
	return nil
}

func cloneVersion(v Version) Version {
	v.Config.Env = maps.Clone(v.Config.Env)
	return v
}
