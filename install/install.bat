@echo off
rem Install zaitaku from this folder, without any network (offline wheelhouse).
rem
rem   install.bat                   installs into %USERPROFILE%\zaitaku (a Python virtual environment)
rem   install.bat D:\tools\zaitaku  installs into another folder
rem   set ZAITAKU_PYTHON=py -3.12   before install.bat, to choose the Python version
rem
rem Needs Python 3.11 or newer from python.org, of a version listed in targets.txt.
rem Afterwards run  %USERPROFILE%\zaitaku\Scripts\zaitaku.exe --help
rem ASCII on purpose: cmd.exe reads a .bat file in the console's code page (CP932).
rem No parenthesised blocks: a folder such as "Program Files (x86)" would end them early.
setlocal
set "HERE=%~dp0"
set "TARGET=%~1"
if "%TARGET%"=="" set "TARGET=%USERPROFILE%\zaitaku"
if "%ZAITAKU_PYTHON%"=="" set "ZAITAKU_PYTHON=py -3"

%ZAITAKU_PYTHON% -c "import sys; sys.exit(sys.version_info < (3, 11))"
if errorlevel 1 goto no_python

echo Creating "%TARGET%"
%ZAITAKU_PYTHON% -m venv "%TARGET%"
if errorlevel 1 goto failed

"%TARGET%\Scripts\python.exe" -m pip install --disable-pip-version-check --no-index --find-links "%HERE%." --only-binary=:all: zaitaku
if errorlevel 1 goto no_wheels

echo.
echo Installed. Try:  "%TARGET%\Scripts\zaitaku.exe" --help
endlocal
exit /b 0

:no_python
echo install.bat: Python 3.11 or newer was not found with "%ZAITAKU_PYTHON%".
echo Install Python from python.org with the "py launcher" option, or set ZAITAKU_PYTHON.
endlocal
exit /b 1

:no_wheels
echo install.bat: pip could not install zaitaku from "%HERE%".
echo This folder holds wheels for the platforms and Python versions in targets.txt:
type "%HERE%targets.txt"
endlocal
exit /b 1

:failed
echo install.bat: could not create "%TARGET%".
endlocal
exit /b 1
