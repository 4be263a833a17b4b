"""The XDMF sidecar, read headless by VTK's XDMF reader (the reader library ParaView
uses): 2-D results are one layer in the XY plane, velocity is a vector, a scenario's
snapshots are time steps; a slice renders to PNG off screen."""

import h5py
import numpy as np
import pytest

import vtk  # noqa: E402  (installed with the test extras; never skipped)
from vtk.util.numpy_support import vtk_to_numpy  # noqa: E402


def read(xmf, time=None):
    r = vtk.vtkXdmfReader()
    r.SetFileName(str(xmf))
    r.UpdateInformation()
    info = r.GetOutputInformation(0)
    key = vtk.vtkStreamingDemandDrivenPipeline.TIME_STEPS()
    steps = list(info.Get(key)) if info.Has(key) else []
    if time is not None:
        r.UpdateTimeStep(time)
    else:
        r.Update()
    out = r.GetOutputDataObject(0)
    if out.IsA("vtkMultiBlockDataSet"):
        out = out.GetBlock(0)
    return out, steps


def cells(img, name):
    return vtk_to_numpy(img.GetCellData().GetArray(name))


def test_2d_result_is_one_layer_in_the_xy_plane(results):
    path, s = results["2d"]
    img, steps = read(path.with_suffix(".xmf"))
    g = s["grid"]
    assert steps == []
    assert img.GetDimensions() == (g["nx"] + 1, g["ny"] + 1, 2)
    x0, x1, y0, y1, z0, z1 = img.GetBounds()
    assert (x0, y0, z0) == (0.0, 0.0, 0.0)
    assert x1 == pytest.approx(g["nx"] * g["dx_m"]) and y1 == pytest.approx(g["ny"] * g["dx_m"])
    assert 0 < z1 <= 10.0, "the slab's thickness along z"
    with h5py.File(path) as f:
        np.testing.assert_array_equal(cells(img, "T"), f["thermal/T"][...].ravel())
        vel = cells(img, "velocity")
        assert vel.shape == (g["nx"] * g["ny"], 3)
        np.testing.assert_array_equal(vel[:, 0], f["airflow/u_x"][...].ravel())
        np.testing.assert_array_equal(vel[:, 1], f["airflow/u_y"][...].ravel())
        assert not vel[:, 2].any()


def test_3d_result_with_velocity_vector(results):
    path, s = results["3d"]
    img, _ = read(path.with_suffix(".xmf"))
    g = s["grid"]
    assert img.GetDimensions() == (g["nx"] + 1, g["ny"] + 1, g["nz"] + 1)
    with h5py.File(path) as f:
        vel = cells(img, "velocity")
        np.testing.assert_array_equal(vel[:, 2], f["airflow/u_z"][...].ravel())
        np.testing.assert_array_equal(cells(img, "material"), f["thermal/material"][...].ravel())


def test_scenario_snapshots_are_time_steps(results):
    path, _ = results["scenario"]
    xmf = path.with_suffix(".xmf")
    _, steps = read(xmf)
    assert steps == [0.0, 20.0, 40.0]
    with h5py.File(path) as f:
        snaps = f["thermal/snapshots/T"][...]
    for k, t in enumerate(steps):
        img, _ = read(xmf, time=t)
        np.testing.assert_array_equal(cells(img, "T"), snaps[k].ravel())
    assert not np.array_equal(snaps[0], snaps[-1]), "the cooling failure warms the room"


def test_slice_renders_to_png(results, tmp_path):
    path, s = results["3d"]
    img, _ = read(path.with_suffix(".xmf"))
    plane = vtk.vtkPlane()
    plane.SetOrigin(0, 0, 1.0)
    plane.SetNormal(0, 0, 1)
    cut = vtk.vtkCutter()
    cut.SetCutFunction(plane)
    cut.SetInputData(img)
    cut.Update()
    sl = cut.GetOutput()
    assert sl.GetNumberOfCells() > 0
    t = sl.GetCellData().GetArray("T")
    mapper = vtk.vtkDataSetMapper()
    mapper.SetInputData(sl)
    mapper.SetScalarModeToUseCellFieldData()
    mapper.SelectColorArray("T")
    mapper.SetScalarRange(t.GetRange())
    lut = vtk.vtkLookupTable()
    lut.SetHueRange(0.667, 0.0)
    lut.Build()
    mapper.SetLookupTable(lut)
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    ren = vtk.vtkRenderer()
    ren.AddActor(actor)
    ren.ResetCamera()
    win = vtk.vtkRenderWindow()
    win.SetOffScreenRendering(1)
    win.AddRenderer(ren)
    win.SetSize(640, 480)
    win.Render()
    grab = vtk.vtkWindowToImageFilter()
    grab.SetInput(win)
    grab.Update()
    png = tmp_path / "slice.png"
    w = vtk.vtkPNGWriter()
    w.SetFileName(str(png))
    w.SetInputConnection(grab.GetOutputPort())
    w.Write()
    assert png.stat().st_size > 1000
    pixels = vtk_to_numpy(grab.GetOutput().GetPointData().GetScalars())
    colours = {tuple(p[:3]) for p in pixels}
    assert len(colours) > 50, f"a coloured slice, not a blank window ({len(colours)} colours)"
